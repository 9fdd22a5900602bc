"""Stage 4: one dependency graph of everything that gets applied, by stable string ids."""

from compiler.graph.build import build_graph
from compiler.graph.core import CycleError, PlatformGraph, acl_node, sql_node, stack_node

__all__ = ["CycleError", "PlatformGraph", "acl_node", "build_graph", "sql_node", "stack_node"]
