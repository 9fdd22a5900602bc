"""Which spec files changed since the last compile, and whether the output is as it left it.

Both answers come from stats first, like git's index: a spec file whose stat is the one the
snapshot lists is taken as unchanged; any other is read and compared by SHA-256 (a touched
but unchanged file is unchanged). An output file counts as the last compile left it only
when its stat is the one `disk.json` knows it by. Anything the scan cannot vouch for makes
it answer None, and the compile is a full one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from compiler.graph import acl_node, module_node, sql_node, stack_node, tenant_node
from compiler.load.discover import (
    Content,
    Failure,
    FileFacts,
    Stat,
    read_spec_file,
    shown_prefix,
    stat_of,
)
from compiler.load.limits import MAX_RUN_BYTES, MAX_RUN_DOCUMENTS, MAX_RUN_VALUES
from compiler.load.walk import SpecFile, walk
from compiler.records import record_files, record_path
from compiler.write.disk import all_unchanged
from compiler.write.snapshot import Snapshot

# More changed files than this and a full compile costs about as much. (A file may define
# many tenants: `compiler.incremental` also bounds the tenants compiled again.)
MAX_CHANGED_FILES = 200


def tenant_nodes(tenant: str) -> tuple[str, ...]:
    """Every node a tenant may have (which of them it has depends on its isolation; a module
    of its own when its stack lets a store go)."""
    return (
        tenant_node(tenant),
        module_node(f"tenant-{tenant}"),
        stack_node(f"tenant-{tenant}"),
        sql_node(f"tenant-{tenant}"),
        acl_node(tenant),
    )


@dataclass
class SpecScan:
    """The spec folder against the snapshot."""

    prefix: str  # how messages show the spec folder
    read: list[tuple[str, Content, Stat | None]] = field(default_factory=list)  # to load now
    changed: set[str] = field(default_factory=set)  # tenant files added, edited or removed
    restat: dict[str, Stat] = field(default_factory=dict)  # unchanged bytes, new stat
    present: set[str] = field(default_factory=set)  # every spec file there is now


def scan_spec(spec_dir: Path, snapshot: Snapshot) -> SpecScan | None:
    """The files to load for an incremental compile (the shared ones and the changed tenant
    files) or None when a shared file changed, or anything is unusual."""
    prefix = shown_prefix(spec_dir)
    found = walk(str(spec_dir), prefix)
    if found.too_many or found.problems or found.unread or not found.files:
        return None
    scan = SpecScan(prefix, present={f.relative for f in found.files})
    scan.changed = {p for p in snapshot.files if p not in scan.present}
    if any(snapshot.files[p].tenants is None for p in scan.changed):
        return None  # a shared document was removed
    for spec_file in found.files:
        entry = snapshot.files.get(spec_file.relative)
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


def within_limits(scan: SpecScan, snapshot: Snapshot, facts: Iterable[FileFacts]) -> bool:
    """Whether the whole spec, the files read now and the others as they were, stays well
    inside the run's limits (near them, a full compile decides, and says where)."""
    read = {p for p, _, _ in scan.read}
    kept = [e for p, e in snapshot.files.items() if p in scan.present and p not in read]
    now = list(facts)
    size = sum(e.bytes for e in kept) + sum(f.bytes for f in now)
    documents = sum(e.documents for e in kept) + sum(f.documents for f in now)
    values = sum(e.values for e in kept) + sum(f.values for f in now)
    return (
        size <= MAX_RUN_BYTES // 2
        and documents <= MAX_RUN_DOCUMENTS // 2
        and values <= MAX_RUN_VALUES // 2
    )


def output_as_left(out: Path, snapshot: Snapshot, touched: set[str]) -> bool:
    """Whether every file of the last output still has the stat it was left with, and no
    record file appeared except those of the tenants being compiled again."""
    if not all_unchanged(out, snapshot.outputs):
        return False
    allowed = {record_path(n) for t in touched for n in tenant_nodes(t)}
    return all(p in snapshot.outputs or p in allowed for p in record_files(out))
