"""Which nodes exist for a resolved spec, and what each must wait for."""

from __future__ import annotations

from collections.abc import Mapping

from compiler.graph.core import (
    CEDAR_NODE,
    SQL_RUNTIME_NODE,
    PlatformGraph,
    acl_node,
    module_node,
    sql_node,
    stack_node,
    tenant_node,
)
from compiler.records import NodeRecord, RecordError
from compiler.resolve import ResolvedSpec
from compiler.resolve.shapes import module_name, pool_shape, spec_modules, tenant_shape


def build_graph(spec: ResolvedSpec) -> PlatformGraph:
    """Pools first; then tenant stacks and databases, each tenant's roles in its database;
    ACLs once their roles exist.

    Every tenant of the spec has a `tenant:` node (its record: plan, state, subscription;
    for a live tenant also its roles in its database), deleted ones too, so the next change
    is checked against what the tenant was. Otherwise deleted tenants have no nodes: nothing
    of theirs is applied any more. The Cedar schema and policies, shared by every tenant,
    are one node; so is the SQL runtime every SQL target shares (it depends on the shared
    documents only, so it is there whatever tenants the spec holds). So is each module
    (`compiler.resolve.shapes.spec_modules`), which the stacks that use it depend on.
    """
    graph = PlatformGraph()
    graph.add(CEDAR_NODE, "cedar", "platform")
    graph.add(SQL_RUNTIME_NODE, "runtime", "sql")
    for name in spec_modules(spec):
        graph.add(module_node(name), "module", name)
    for pool in spec.pools:
        graph.add(stack_node(pool.target), "stack", pool.target)
        module = module_name(pool.target, pool_shape(pool.cloud, pool))
        graph.require(module_node(module), stack_node(pool.target))
        graph.add(sql_node(pool.target), "sql", pool.target)
        graph.require(stack_node(pool.target), sql_node(pool.target))
        graph.require(SQL_RUNTIME_NODE, sql_node(pool.target))
    for tenant in spec.tenants:
        graph.add(tenant_node(tenant.name), "tenant", tenant.name)
    for tenant in spec.live_tenants:
        stack = stack_node(tenant.stack)
        graph.add(stack, "stack", tenant.stack)
        graph.require(
            module_node(module_name(tenant.stack, tenant_shape(tenant.cloud, tenant))), stack
        )
        if tenant.pool is not None:
            graph.require(stack_node(f"pool-{tenant.pool}"), stack)
        if tenant.dedicated_database:
            graph.add(sql_node(tenant.sql_target), "sql", tenant.sql_target)
            graph.require(stack, sql_node(tenant.sql_target))
            graph.require(SQL_RUNTIME_NODE, sql_node(tenant.sql_target))
        roles = tenant_node(tenant.name)
        graph.require(sql_node(tenant.sql_target), roles)
        acl = acl_node(tenant.name)
        graph.add(acl, "acl", tenant.name)
        graph.require(roles, acl)
        graph.require(stack, acl)
    graph.check_acyclic()
    return graph


def graph_from_records(records: Mapping[str, NodeRecord]) -> PlatformGraph:
    """The graph as an output folder's records describe it (no spec needed): what the
    operate commands and `paybill graph --generated` use."""
    graph = PlatformGraph()
    ordered = sorted(records.items())
    graph.add_all((node, record.kind, record.name) for node, record in ordered)
    edges = []
    for node, record in ordered:
        for first in record.depends_on:
            if first not in records:
                raise RecordError(record.path, f"depends on {first}, which has no record")
            edges.append((first, node))
    graph.require_all(edges)
    graph.check_acyclic()
    return graph
