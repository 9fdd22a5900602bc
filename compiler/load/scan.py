"""Which spec files changed since the last compile, without reading the others.

Like git's index: a spec file whose stat (size, modification and change times, inode) is the
one the last compile read it with is taken as unchanged; any other is read and compared by
SHA-256, so a file saved again unchanged is unchanged. A compile that knows its spec files
(`KnownFile`, kept in the output's cache) reads only the shared documents and the tenant
files that changed; anything the scan cannot vouch for makes it answer None, and the
compile reads everything.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.load.discover import (
    Content,
    Failure,
    FileFacts,
    LoadedSpec,
    Stat,
    read_spec_file,
    shown_prefix,
    stat_of,
)
from compiler.load.limits import MAX_RUN_BYTES, MAX_RUN_DOCUMENTS, MAX_RUN_VALUES
from compiler.load.walk import SpecFile, walk

# More changed files than this and reading everything costs about as much. (A file may
# define many tenants: the compile also bounds the tenants it compiles again.)
MAX_CHANGED_FILES = 200


@dataclass(frozen=True, slots=True)
class KnownFile:
    """One spec file as the last compile read it. `tenants` names the tenants it defines
    when it defines nothing else; None when it holds any other document (a shared one)."""

    stat: Stat
    sha256: str
    bytes: int
    documents: int
    values: int
    tenants: tuple[str, ...] | None

    def row(self) -> list[Any]:
        tenants = list(self.tenants) if self.tenants is not None else None
        return [*self.stat, self.sha256, self.bytes, self.documents, self.values, tenants]

    @classmethod
    def of_row(cls, row: list[Any]) -> KnownFile:
        size, mtime, ctime, inode, sha256, size_read, documents, values, tenants = row
        return cls(
            (int(size), int(mtime), int(ctime), int(inode)),
            str(sha256),
            int(size_read),
            int(documents),
            int(values),
            tuple(str(t) for t in tenants) if tenants is not None else None,
        )


def tenants_by_file(loaded: LoadedSpec, prefix: str) -> dict[str, tuple[str, ...] | None]:
    """File (relative to the spec folder) -> the tenants it defines, None for a file holding
    any other kind."""
    out: dict[str, tuple[str, ...] | None] = {f.relative: () for f in loaded.facts}
    cut = len(prefix) + 1
    for document in loaded.documents:
        relative = document.file[cut:]
        known = out.get(relative)
        if document.kind == "Tenant" and known is not None:
            out[relative] = (*known, document.name)
        else:
            out[relative] = None
    return out


def known_files(loaded: LoadedSpec, prefix: str) -> dict[str, KnownFile] | None:
    """The files `loaded` read, as the next compile will know them; None when bytes came
    from no file (they cannot be known again by their stat)."""
    defined = tenants_by_file(loaded, prefix)
    out = {}
    for facts in loaded.facts:
        if facts.stat is None:
            return None
        out[facts.relative] = KnownFile(
            facts.stat,
            facts.sha256,
            facts.bytes,
            facts.documents,
            facts.values,
            defined.get(facts.relative),
        )
    return out


@dataclass
class SpecScan:
    """The spec folder against the files the last compile read."""

    prefix: str  # how messages show the spec folder
    read: list[tuple[str, Content, Stat | None]] = field(default_factory=list)  # to load now
    changed: set[str] = field(default_factory=set)  # tenant files added, edited or removed
    restat: dict[str, Stat] = field(default_factory=dict)  # unchanged bytes, new stat
    present: set[str] = field(default_factory=set)  # every spec file there is now


def scan_spec(spec_dir: Path, known: Mapping[str, KnownFile]) -> SpecScan | None:
    """The files to load (the shared ones and the changed tenant files), or None when a
    shared file changed, or anything is unusual."""
    prefix = shown_prefix(spec_dir)
    found = walk(str(spec_dir), prefix)
    if found.too_many or found.problems or found.unread or not found.files:
        return None
    scan = SpecScan(prefix, present={f.relative for f in found.files})
    scan.changed = {p for p in known if p not in scan.present}
    if any(known[p].tenants is None for p in scan.changed):
        return None  # a shared document was removed
    for spec_file in found.files:
        entry = known.get(spec_file.relative)
        if entry is not None and entry.tenants is not None and _same_stat(spec_file, entry.stat):
            continue
        content, status = read_spec_file(spec_file)
        if isinstance(content, Failure) or status is None:
            return None
        same = entry is not None and hashlib.sha256(content).hexdigest() == entry.sha256
        if entry is None or entry.tenants is not None:
            if same:
                scan.restat[spec_file.relative] = status
                continue
            scan.changed.add(spec_file.relative)
        elif not same:
            return None  # a shared document changed: everything may depend on it
        scan.read.append((spec_file.relative, content, status))
    if len(scan.changed) > MAX_CHANGED_FILES:
        return None
    scan.read.sort(key=lambda item: item[0])
    return scan


def _same_stat(spec_file: SpecFile, stat: Stat) -> bool:
    try:
        found = os.stat(spec_file.real)
    except OSError:
        return False
    return stat_of(found) == stat


def within_limits(
    scan: SpecScan, known: Mapping[str, KnownFile], facts: Iterable[FileFacts]
) -> bool:
    """Whether the whole spec, the files read now and the others as they were, stays well
    inside the run's limits (near them, reading everything decides, and says where)."""
    read = {p for p, _, _ in scan.read}
    kept = [e for p, e in known.items() if p in scan.present and p not in read]
    now = list(facts)
    size = sum(e.bytes for e in kept) + sum(f.bytes for f in now)
    documents = sum(e.documents for e in kept) + sum(f.documents for f in now)
    values = sum(e.values for e in kept) + sum(f.values for f in now)
    return (
        size <= MAX_RUN_BYTES // 2
        and documents <= MAX_RUN_DOCUMENTS // 2
        and values <= MAX_RUN_VALUES // 2
    )


def known_after(
    known: Mapping[str, KnownFile], scan: SpecScan, read: Mapping[str, KnownFile] | None
) -> dict[str, KnownFile] | None:
    """What the next compile knows after one that read only `scan.read` (`read`: those
    files, from `known_files`): the files it read now, and the others as they were (with
    their new stat, when saved again unchanged)."""
    if read is None:
        return None
    out = {p: e for p, e in known.items() if p in scan.present}
    for path, stat in scan.restat.items():
        entry = out[path]
        out[path] = KnownFile(
            stat, entry.sha256, entry.bytes, entry.documents, entry.values, entry.tenants
        )
    out.update(read)
    return out
