"""Stage 4: one dependency graph of everything that gets applied, by stable string ids."""

from compiler.graph.build import build_graph, graph_from_records
from compiler.graph.core import (
    CEDAR_NODE,
    NODE_KINDS,
    NOTHING_TO_APPLY,
    SQL_RUNTIME_NODE,
    CycleError,
    PlatformGraph,
    acl_node,
    module_node,
    split_node,
    sql_node,
    stack_node,
    tenant_node,
)

__all__ = [
    "CEDAR_NODE",
    "NODE_KINDS",
    "NOTHING_TO_APPLY",
    "SQL_RUNTIME_NODE",
    "CycleError",
    "PlatformGraph",
    "acl_node",
    "build_graph",
    "graph_from_records",
    "module_node",
    "split_node",
    "sql_node",
    "stack_node",
    "tenant_node",
]
