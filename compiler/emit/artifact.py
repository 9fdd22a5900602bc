"""What emitters produce: a path under the output folder and its exact bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from compiler import __version__
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec

GENERATOR = f"paybill {__version__}"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One output file, built now. `node` is the graph node it belongs to."""

    path: str  # relative, POSIX separators, e.g. "stacks/tenant-acme/cdk.tf.json"
    content: bytes
    node: str
    # Computed once: the writer compares it, the records list it, the cache keeps it.
    sha256: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.content).hexdigest())

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True, slots=True)
class Recorded:
    """An output file known by its digest, not its bytes: taken as it is from the previous
    output (its node's inputs did not change and the file on disk still has the digest its
    record lists), or built now and handed to the writer already. Its bytes are not read
    again, unless a family needs them to build another node's files (a stack shape's
    template): `read` gives them, or None when the file no longer has its digest. The
    writer reads them for the family; the family never opens a file."""

    path: str
    sha256: str
    size: int
    node: str
    read: Callable[[], bytes | None] | None = field(default=None, compare=False, repr=False)


Output = Artifact | Recorded
Reuse = Mapping[str, Sequence[Recorded]]


@dataclass(frozen=True)
class Prepared:
    """A family's work for one compile, prepared once.

    `digests` says, per graph node, a digest of everything the node's artifacts are built
    from. When a node's digest equals the one in its record in the previous output, the
    pipeline passes the previous artifacts to `build` in `reuse`, which returns them as they
    are instead of building them again: that is what makes one-tenant changes cheap.
    """

    digests: dict[str, str]
    build: Callable[[Reuse], Iterable[Output]]  # a list, or the files one at a time


@dataclass(frozen=True)
class Family:
    """A kind of output (stacks, sql, acl). `prepare` computes what the family's nodes are
    built from once; the digests and the build both read that."""

    name: str
    prepare: Callable[[ResolvedSpec, PlatformGraph], Prepared]

    def input_digests(self, spec: ResolvedSpec, graph: PlatformGraph) -> dict[str, str]:
        return self.prepare(spec, graph).digests

    def emit(self, spec: ResolvedSpec, graph: PlatformGraph, reuse: Reuse) -> list[Output]:
        return list(self.prepare(spec, graph).build(reuse))


_CANONICAL = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def canonical_json(data: Any) -> bytes:
    """Deterministic JSON: sorted keys, two-space indent, LF, trailing newline, UTF-8.

    The same bytes as `json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)` plus
    a newline (a test holds the two together), about twenty times faster: ACL files, SQL
    states and the node records of a large fleet are mostly this."""
    return orjson.dumps(data, option=_CANONICAL)


@cache
def code_digest(package: str, *extra: str) -> str:
    """SHA-256 of the code that turns a family's inputs into its output: every source and
    template file of the family's package (or its one module, `records.py`), this module,
    and `extra` (e.g. a library version).

    It is part of every input digest of the family (with `jsonfile.py`, the layout of the JSON
    files), so changing how output is built rebuilds it instead of reusing files an older
    build wrote. Line endings are normalised: a checkout with CRLF files records the same
    digests.
    """
    root = Path(__file__).parent / package
    own = (
        [root]
        if root.is_file()
        else sorted(p for p in root.rglob("*") if p.suffix in (".py", ".j2"))
    )
    files = [Path(__file__), Path(__file__).with_name("jsonfile.py"), *own]
    digest = hashlib.sha256("\0".join(extra).encode())
    for source in files:
        digest.update(source.relative_to(root.parent).as_posix().encode() + b"\0")
        digest.update(source.read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()


def fingerprint(*parts: Any) -> str:
    """SHA-256 of dataclasses / plain data, plus the generator version (a new compiler
    version may build different output from the same inputs).

    Canonical JSON (sorted keys, dataclasses as objects of their fields, tuples as lists)
    rather than `repr` or pickle: digests are recorded in the committed node records and
    must be equal on every machine and Python. orjson writes it about ten times faster than
    the standard library, which matters when a fleet has tens of thousands of nodes."""
    payload = orjson.dumps([GENERATOR, list(parts)], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()
