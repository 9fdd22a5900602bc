"""A migration's old home, kept in the output exactly as the compile before the move left it.

A tenant leaving a home with a database of its own (bridge, silo) gets its new home beside
the old one (docs/migrations.md): the old stack and its database stay applied, and apply
must neither update nor destroy them until the spec says `retireOld: true`. Nothing in the
spec describes the old home any more (its plan, sizes or pool may all have changed), so its
nodes are taken from the output folder as they are: the records of its stack, its database
and any module of its shape no other stack uses, their input digests kept, and their files
reused byte for byte. Apply sees no change in them; when `retireOld` lets them go, they
leave the output and apply tears the stack down with its final snapshot kept.

The files come from the output folder only: a compile into an empty folder (or one whose
kept files were edited by hand) cannot make them, and says so instead of dropping the old
home, which would read as its destruction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from compiler.emit.artifact import Output, Prepared, Reuse
from compiler.errors import Diagnostic, Location, SpecError
from compiler.graph import PlatformGraph, sql_node, stack_node
from compiler.records import NodeRecord
from compiler.resolve import ResolvedSpec
from compiler.resolve.model import Tenant

RESTORE = (
    "compile into the folder that holds the output of the compile before the move (restore "
    "it from your base branch, e.g. 'git checkout origin/main -- generated/'), or retire the "
    "old home with 'retireOld: true'"
)


class KeptNode(NamedTuple):
    owner: Tenant  # whose old home it is (the first, for a module two old homes use)
    record: NodeRecord  # as the compile before the move wrote it


def kept_records(
    spec: ResolvedSpec,
    where: Mapping[str, Location],
    graph: PlatformGraph,
    previous: Mapping[str, NodeRecord],
) -> dict[str, KeptNode]:
    """The previous records of every kept home's nodes (its stack, its database, each module
    of its stack that no other stack of the spec uses), or SpecError naming the tenants
    whose old home the output folder does not hold."""
    out: dict[str, KeptNode] = {}
    problems = []
    for tenant in spec.live_tenants:
        if tenant.kept is None:
            continue
        found = _old_home(tenant, graph, previous)
        if found is None:
            problems.append(_missing(tenant, where, "has no record of it"))
            continue
        for node, record in found.items():
            out.setdefault(node, KeptNode(tenant, record))
    if problems:
        raise SpecError(problems)
    return out


def _old_home(
    tenant: Tenant, graph: PlatformGraph, previous: Mapping[str, NodeRecord]
) -> dict[str, NodeRecord] | None:
    assert tenant.kept is not None
    stack = previous.get(stack_node(tenant.kept.stack))
    database = previous.get(sql_node(tenant.kept.sql_target))
    if stack is None or database is None:
        return None
    out = {stack.node: stack, database.node: database}
    for node in stack.depends_on:
        if node.startswith("module:") and node not in graph:
            module = previous.get(node)
            if module is None:
                return None
            out[node] = module
    return out


def _missing(tenant: Tenant, where: Mapping[str, Location], why: str) -> Diagnostic:
    """`where`: the migration block of each tenant, by name."""
    assert tenant.kept is not None
    return Diagnostic(
        where.get(tenant.name, Location("spec")),
        f"tenant {tenant.name}'s old home {tenant.kept.home} (stack {tenant.kept.stack}) "
        f"is kept beside its new home until retired, but the output folder {why}",
        f"Tenant/{tenant.name}",
        hint=RESTORE,
    )


def add_to_graph(graph: PlatformGraph, kept: Mapping[str, KeptNode]) -> None:
    """The kept nodes, after what they depended on that is still there."""
    for node in sorted(kept):
        graph.add(node, kept[node].record.kind, kept[node].record.name)
    for node in sorted(kept):
        for first in kept[node].record.depends_on:
            if first in graph:
                graph.require(first, node)


def prepare(where: Mapping[str, Location], kept: Mapping[str, KeptNode]) -> Prepared:
    """The kept nodes' work: their digests as recorded, their files reused as they are."""
    digests = {node: found.record.input_digest for node, found in kept.items()}

    def build(reuse: Reuse) -> Iterator[Output]:
        missing = {kept[n].owner.name: kept[n].owner for n in kept if n not in reuse}
        if missing:
            why = "no longer holds its files as they were written (changed or removed by hand)"
            raise SpecError([_missing(missing[name], where, why) for name in sorted(missing)])
        for node in sorted(kept):
            yield from reuse[node]

    return Prepared(digests, build)
