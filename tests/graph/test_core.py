"""The dependency graph: nodes for what exists, waves in apply order, cycles with their path."""

from __future__ import annotations

from itertools import pairwise

import pytest

from compiler.graph import CycleError, PlatformGraph, build_graph
from compiler.pipeline import validate
from tests.conftest import SPEC


def chain(*nodes: str) -> PlatformGraph:
    graph = PlatformGraph()
    for node in nodes:
        graph.add(node, node.split(":")[0], node.split(":")[1])
    for first, then in pairwise(nodes):
        graph.require(first, then)
    return graph


def test_a_cycle_is_reported_with_its_full_path() -> None:
    graph = chain("stack:pool-a", "stack:tenant-b", "sql:tenant-b")
    graph.require("sql:tenant-b", "stack:pool-a")
    with pytest.raises(CycleError) as raised:
        graph.waves()
    assert str(raised.value) == (
        "dependency cycle: stack:pool-a -> stack:tenant-b -> sql:tenant-b -> stack:pool-a"
    )


def test_an_edge_to_an_unknown_node_is_refused() -> None:
    graph = chain("stack:pool-a")
    with pytest.raises(KeyError, match="unknown graph node 'stack:tenant-x'"):
        graph.require("stack:pool-a", "stack:tenant-x")


def test_spec_graph_nodes_and_waves() -> None:
    graph = build_graph(validate(SPEC))
    stacks = graph.nodes("stack")
    assert stacks == [
        "stack:pool-eu-shared",
        "stack:pool-us-shared",
        "stack:tenant-acme",
        "stack:tenant-globex",
        "stack:tenant-hooli",
        "stack:tenant-initech",
        "stack:tenant-piedpiper",
        "stack:tenant-stark",
        "stack:tenant-umbrella",
        "stack:tenant-vandelay",
        "stack:tenant-wayne",
    ]
    assert "stack:tenant-soylent" not in graph  # deleted: nothing of it is applied any more
    assert graph.dependencies("tenant:soylent") == []  # only its record is left
    waves = graph.waves()
    assert waves[0] == [
        "cedar:platform",
        *MODULES,
        "runtime:sql",
        "stack:pool-eu-shared",
        "stack:pool-us-shared",
        "stack:tenant-acme",
        "stack:tenant-stark",
        "tenant:soylent",
    ]
    position = {node: i for i, wave in enumerate(waves) for node in wave}
    for first, then in graph.edges():
        if first.startswith("module:"):  # nothing to apply: it holds nothing back
            assert position[first] == 0
        else:
            assert position[first] < position[then]


# Every shape the plans of spec/ allow (and its pools'), used by a tenant now or not.
MODULES = [
    "module:aws-bridge-idle-blocked",
    "module:aws-bridge-service-blocked",
    "module:aws-bridge-service-limited",
    "module:aws-bridge-service-unlimited",
    "module:aws-pool",
    "module:aws-pooled-shared-blocked",
    "module:aws-pooled-shared-limited",
    "module:aws-pooled-shared-unlimited",
    "module:aws-silo-idle-blocked",
    "module:aws-silo-service-blocked",
    "module:aws-silo-service-limited",
    "module:aws-silo-service-unlimited",
]


def test_a_tenant_stack_waits_for_its_pool_only() -> None:
    graph = build_graph(validate(SPEC))
    assert graph.dependencies("stack:tenant-wayne") == [
        "module:aws-bridge-service-limited",
        "stack:pool-eu-shared",
    ]
    assert graph.dependencies("stack:tenant-acme") == ["module:aws-silo-service-limited"]
    assert graph.upstream("acl:wayne") == [
        "module:aws-bridge-service-limited",
        "module:aws-pool",
        "runtime:sql",
        "sql:tenant-wayne",
        "stack:pool-eu-shared",
        "stack:tenant-wayne",
        "tenant:wayne",
    ]
    # A pooled tenant's roles wait for its pool's database, not for its own stack.
    assert graph.dependencies("tenant:initech") == ["sql:pool-eu-shared"]
    assert graph.dependencies("acl:initech") == ["stack:tenant-initech", "tenant:initech"]


def test_the_sql_runtime_comes_before_every_sql_target_and_nothing_else() -> None:
    graph = build_graph(validate(SPEC))
    assert graph.dependencies("runtime:sql") == []
    targets = graph.nodes("sql")
    assert len(targets) == 6
    after = [n for n in graph.nodes() if "runtime:sql" in graph.dependencies(n)]
    assert after == targets
    # A change to it reaches every target, the tenants in them and their ACLs; no stack.
    affected = graph.affected_by(["runtime:sql"])
    assert [n for n in affected if n.startswith(("stack:", "cedar:"))] == []
    assert set(targets) <= set(affected)


def test_a_pool_change_affects_its_tenants_not_the_others() -> None:
    graph = build_graph(validate(SPEC))
    affected = graph.affected_by(["stack:pool-us-shared"])
    assert [n for n in affected if n.startswith("stack:")] == [
        "stack:pool-us-shared",
        "stack:tenant-globex",
        "stack:tenant-hooli",
        "stack:tenant-umbrella",
        "stack:tenant-vandelay",
    ]


def test_a_module_change_affects_every_stack_of_its_shape() -> None:
    graph = build_graph(validate(SPEC))
    assert graph.nodes("module") == MODULES
    affected = graph.affected_by(["module:aws-pooled-shared-limited"])
    assert affected == [
        "acl:hooli",
        "acl:initech",
        "acl:piedpiper",
        "module:aws-pooled-shared-limited",
        "stack:tenant-hooli",
        "stack:tenant-initech",
        "stack:tenant-piedpiper",
    ]
    affected = graph.affected_by(["module:aws-pool"])
    assert [n for n in affected if n.startswith("stack:")] == [
        s for s in graph.nodes("stack") if s not in ("stack:tenant-acme", "stack:tenant-stark")
    ]


def test_nothing_to_apply_holds_nothing_back() -> None:
    """A stack that depends on a module only is in the first wave, beside the module; the
    module does not lengthen any chain of waves."""
    graph = chain("module:aws-pool", "stack:pool-a", "sql:pool-a")
    graph.add("module:aws-pooled-shared-limited", "module", "aws-pooled-shared-limited")
    graph.add("stack:tenant-b", "stack", "tenant-b")
    graph.require("module:aws-pooled-shared-limited", "stack:tenant-b")
    graph.require("stack:pool-a", "stack:tenant-b")
    assert graph.waves() == [
        ["module:aws-pool", "module:aws-pooled-shared-limited", "stack:pool-a"],
        ["sql:pool-a", "stack:tenant-b"],
    ]


def test_waves_without_modules_are_generations() -> None:
    """The same waves as topological generations when every node has something to apply."""
    graph = chain("stack:pool-a", "stack:tenant-b", "sql:tenant-b", "tenant:b", "acl:b")
    graph.add("cedar:platform", "cedar", "platform")
    graph.require("stack:tenant-b", "acl:b")
    assert graph.waves() == [
        ["cedar:platform", "stack:pool-a"],
        ["stack:tenant-b"],
        ["sql:tenant-b"],
        ["tenant:b"],
        ["acl:b"],
    ]
