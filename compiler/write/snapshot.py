"""What the last compile into an output folder was made from: `<out>/.paybill/inputs.json`.

An incremental compile (`compiler.incremental`) reads it to learn, without reading the spec
or the output again, which spec files changed since, which tenants those files define, what
each tenant contributes to the checks between tenants, and every file of the output. Like the
other caches of `.paybill` it is never committed and never trusted blindly: every spec file
and every output file is compared with the stat it lists, and anything unexpected makes the
compile a full one. It is removed before a write starts and written again after it ends, so
a killed compile leaves none. (`disk.json` is left to the full compile: an incremental one
neither reads nor writes it; a file it rewrote has another stat, so a full compile reads it
again.)
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from compiler.write.disk import save_cache
from compiler.write.layout import INPUTS, internal

VERSION = 1


@dataclass(frozen=True, slots=True)
class SpecFileEntry:
    """One spec file as the last compile read it. `tenants` names the tenants it defines
    when it defines nothing else; None when it holds any other document."""

    stat: tuple[int, int, int, int]
    sha256: str
    bytes: int
    documents: int
    values: int
    tenants: tuple[str, ...] | None

    def row(self) -> list[Any]:
        tenants = list(self.tenants) if self.tenants is not None else None
        return [*self.stat, self.sha256, self.bytes, self.documents, self.values, tenants]

    @classmethod
    def of_row(cls, row: list[Any]) -> SpecFileEntry:
        size, mtime, ctime, inode, sha256, size_read, documents, values, tenants = row
        return cls(
            (int(size), int(mtime), int(ctime), int(inode)),
            str(sha256),
            int(size_read),
            int(documents),
            int(values),
            tuple(str(t) for t in tenants) if tenants is not None else None,
        )


@dataclass(frozen=True, slots=True)
class TenantFacts:
    """What a tenant brings to the checks between tenants: whether it is live (not deleted),
    and its own network when it has one."""

    live: bool
    network: str | None


@dataclass
class Snapshot:
    key: str  # the compiler's code and the two folders: another key is another compile
    files: dict[str, SpecFileEntry]  # spec file, relative to the spec folder -> entry
    tenants: dict[str, TenantFacts]
    # Every file of the output (records and manifest included) -> its stat as the compile
    # left it: size, modification and change times, inode.
    outputs: dict[str, list[int]]
    shared: list[str]  # the graph's nodes that belong to no tenant

    @classmethod
    def load(cls, out: Path, key: str) -> Snapshot | None:
        """The snapshot of `out` when it was written for `key`; None when there is none, it
        is damaged or it is for another key."""
        try:
            data = orjson.loads((internal(out) / INPUTS).read_bytes())
            if data["version"] != VERSION or data["key"] != key:
                return None
            return cls(
                key,
                {str(p): SpecFileEntry.of_row(r) for p, r in data["files"].items()},
                {
                    str(n): TenantFacts(bool(live), str(net) if net is not None else None)
                    for n, (live, net) in data["tenants"].items()
                },
                _stats(data["outputs"]),
                [str(n) for n in data["shared"]],
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save(self, out: Path) -> None:
        content = orjson.dumps(
            {
                "version": VERSION,
                "key": self.key,
                "files": {p: e.row() for p, e in self.files.items()},
                "tenants": {n: [t.live, t.network] for n, t in self.tenants.items()},
                "outputs": self.outputs,
                "shared": self.shared,
            }
        )
        save_cache(out, INPUTS, content)


def discard(out: Path) -> None:
    """Remove the snapshot: the output is about to change."""
    with contextlib.suppress(OSError):
        (internal(out) / INPUTS).unlink(missing_ok=True)


def _stats(data: Any) -> dict[str, list[int]]:
    if not isinstance(data, dict):
        raise TypeError("outputs")
    for stat in data.values():
        if not (isinstance(stat, list) and len(stat) == 4):
            raise TypeError("outputs")
    return data
