"""The records of every graph node and the manifest (the format is `compiler.records`).

Records are rebuilt on every compile from what the other families produced (artifact
digests), the graph (dependencies, waves) and, for tenants, the resolved model (lifecycle
facts, roles). They are cheap, and being rebuilt they can never disagree with the files.

The family here contributes the tenant facts to each `tenant:` node's input digest: a
tenant's record changes with its plan, state or subscription even when its SQL does not,
and a deleted tenant (no SQL any more) still has a record, the baseline of the next change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import astuple

from compiler.emit.artifact import (
    GENERATOR,
    Artifact,
    Family,
    Output,
    Prepared,
    Reuse,
    code_digest,
    fingerprint,
)
from compiler.emit.jsonfile import output_json
from compiler.graph import PlatformGraph, stack_node, tenant_node
from compiler.records import (
    MANIFEST_PATH,
    BillingFacts,
    Confirm,
    Entry,
    NodeRecord,
    RoleEntry,
    TenantFacts,
    manifest_json,
)
from compiler.resolve import ResolvedSpec
from compiler.resolve.model import Tenant


def tenant_facts(tenant: Tenant) -> TenantFacts:
    live = tenant.state != "deleted"
    return TenantFacts(
        plan=tenant.plan,
        isolation=tenant.isolation,
        region=tenant.region,
        pool=tenant.pool,
        state=tenant.state,
        subscription=tenant.subscription,
        dedicated_database=tenant.dedicated_database and live,
        sql_target=tenant.sql_target if live else None,
        billing=None if (b := tenant.billed) is None else BillingFacts(*astuple(b)),
        cloud=tenant.cloud,
        stack=tenant.stack_name,
        kept=tenant.kept if live else None,
    )


def tenant_confirm(tenant: Tenant) -> Confirm:
    return Confirm(
        data_deletion=tenant.confirm_data_deletion,
        migration=tenant.migration,
        destroy=tenant.confirm_destroy,
    )


def tenant_roles(tenant: Tenant) -> tuple[RoleEntry, ...]:
    """The database roles the compiler manages for `tenant` (none once it is deleted)."""
    if tenant.state == "deleted":
        return ()
    target = tenant.sql_target
    roles = [RoleEntry(tenant.app_role, "app", tenant.name, None, target)]
    roles.extend(RoleEntry(a.role, "agent", tenant.name, a.agent, target) for a in tenant.agents)
    return tuple(sorted(roles, key=lambda r: r.name))


def prepare(spec: ResolvedSpec, graph: PlatformGraph) -> Prepared:
    code = code_digest("records.py")
    digests = {
        tenant_node(t.name): fingerprint(code, tenant_facts(t), tenant_roles(t), tenant_confirm(t))
        for t in spec.tenants
    }

    def build(reuse: Reuse) -> list[Output]:
        return []

    return Prepared(digests, build)


FAMILY = Family("tenants", prepare)


def build_records(
    spec: ResolvedSpec,
    graph: PlatformGraph,
    outputs: Iterable[Output],
    digests: Mapping[str, str],
) -> Iterator[Artifact]:
    """Every node's record, then the manifest, one at a time (the writer keeps a digest of
    each, never the fleet's records together). `outputs` is read now, before the first
    record: the caller may add the records to it as they come."""
    by_node: dict[str, list[Entry]] = {node: [] for node in graph.nodes()}
    for output in outputs:
        by_node[output.node].append(Entry(output.path, output.sha256, output.size))
    return _records(spec, graph, by_node, digests)


def _records(
    spec: ResolvedSpec,
    graph: PlatformGraph,
    by_node: dict[str, list[Entry]],
    digests: Mapping[str, str],
) -> Iterator[Artifact]:
    """Each node's record from its files (`by_node`, emptied as the records are built)."""
    wave_of = graph.wave_of()
    tenants = {tenant_node(t.name): t for t in spec.tenants}
    pools = {stack_node(p.target): Confirm(destroy=p.confirm_destroy) for p in spec.pools}
    for node in graph.nodes():
        tenant = tenants.get(node)
        confirm = tenant_confirm(tenant) if tenant is not None else pools.get(node)
        record = NodeRecord(
            node=node,
            kind=graph.kind(node),
            name=graph.name(node),
            depends_on=tuple(graph.dependencies(node)),
            wave=wave_of[node],
            input_digest=digests[node],
            artifacts=tuple(sorted(by_node.pop(node), key=lambda e: e.path)),
            tenant=tenant_facts(tenant) if tenant is not None else None,
            roles=tenant_roles(tenant) if tenant is not None else (),
            confirm=confirm or None,
        )
        yield Artifact(record.path, output_json(record.to_json()), node)
    yield Artifact(MANIFEST_PATH, output_json(manifest_json(GENERATOR)), "")
