"""The change set of a pull request: the graph nodes whose committed output differs between
the base and the head, the nodes added and removed, and the nodes downstream of them that
must be planned again once those are applied.

It is read from the node records alone — no cloud, no database, no spec. Records whose bytes
are equal are equal nodes (against a git revision, git says which differ); only the records
that differ are read and compared: what a node owns (its files and their digests), its
dependencies and, for a tenant, its facts and roles.
A record that differs only in its input digest (a compiler upgrade that builds the same
bytes) is not a change to apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from compiler.graph import PlatformGraph, graph_from_records
from compiler.operate.sources import FolderSource, GitSource, Source
from compiler.records import NodeRecord, parse_record

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class NodeChange:
    node: str
    change: Change
    base: NodeRecord | None
    head: NodeRecord | None

    @property
    def kind(self) -> str:
        return self.node.partition(":")[0]

    @property
    def files(self) -> list[tuple[str, str]]:
        """(change, path) for each file of the node that was added, removed or changed."""
        before = {a.path: a.sha256 for a in self.base.artifacts} if self.base else {}
        after = {a.path: a.sha256 for a in self.head.artifacts} if self.head else {}
        out = [("added", p) for p in after.keys() - before.keys()]
        out += [("removed", p) for p in before.keys() - after.keys()]
        out += [("changed", p) for p in before.keys() & after.keys() if before[p] != after[p]]
        return sorted(out, key=lambda c: c[1])


@dataclass
class ChangeSet:
    base: Source
    head: Source
    changes: dict[str, NodeChange]  # by node
    head_records: dict[str, NodeRecord]
    graph: PlatformGraph  # the head's
    downstream: list[str] = field(default_factory=list)  # unchanged, but read what changed

    def __bool__(self) -> bool:
        return bool(self.changes)

    def of_kind(self, kind: str) -> list[NodeChange]:
        return [c for node, c in sorted(self.changes.items()) if c.kind == kind]

    def base_record(self, node: str) -> NodeRecord | None:
        change = self.changes.get(node)
        if change is not None:
            return change.base
        return self.head_records.get(node)  # unchanged: the base's is the head's


def _same(base: NodeRecord, head: NodeRecord) -> bool:
    """Whether the node applies the same: its files, dependencies and facts, and the
    migration its spec confirms (`retireOld` added later is a step of its own to run)."""
    return (base.artifacts, base.depends_on, base.tenant, base.roles, _moving(base)) == (
        head.artifacts,
        head.depends_on,
        head.tenant,
        head.roles,
        _moving(head),
    )


def _moving(record: NodeRecord) -> object:
    return record.confirm.migration if record.confirm is not None else None


def change_set(base: Source, head: Source, head_records: dict[str, NodeRecord]) -> ChangeSet:
    """Compare two outputs; `head_records` are the head's records, already read."""
    changes: dict[str, NodeChange] = {}
    for path in _differing(base, head):
        old = _record(base, path)
        new = _record(head, path)
        if old is not None and new is not None:
            if not _same(old, new):
                changes[new.node] = NodeChange(new.node, "changed", old, new)
        elif new is not None:
            changes[new.node] = NodeChange(new.node, "added", None, new)
        elif old is not None:
            changes[old.node] = NodeChange(old.node, "removed", old, None)
    graph = graph_from_records(head_records)
    moved = [n for n, c in changes.items() if c.change != "removed"]
    downstream = [n for n in graph.affected_by(moved) if n not in changes]
    return ChangeSet(base, head, changes, head_records, graph, downstream)


def _differing(base: Source, head: Source) -> list[str]:
    """The record files whose bytes may differ: from git when the base is a revision of the
    repository the head's folder is in (it knows from its index, reading nothing), else by
    comparing the ids of every record's bytes."""
    if isinstance(base, GitSource) and isinstance(head, FolderSource):
        found = base.changed_records(head.folder)
        if found is not None:
            return found
    before, after = base.records(), head.records()
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def _record(source: Source, path: str) -> NodeRecord | None:
    content = source.read(path)
    return None if content is None else parse_record(path, content)
