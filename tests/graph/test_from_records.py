"""The graph the operate commands read from an output folder's records: the same nodes,
edges and waves as the compiler's graph, and a record that names a missing node is an
error that says which record."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from compiler.graph import build_graph, graph_from_records
from compiler.pipeline import compile_spec, validate
from compiler.records import RecordError, read_records
from tests.conftest import SPEC


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("records") / "generated"
    compile_spec(SPEC, out)
    return out


def test_records_give_the_compilers_graph(compiled: Path) -> None:
    expected = build_graph(validate(SPEC))
    graph = graph_from_records(read_records(compiled))
    assert graph.nodes() == sorted(expected.nodes())
    assert graph.edges() == expected.edges()
    assert graph.wave_of() == expected.wave_of()
    assert len(graph.edges()) > len(graph.nodes()) / 2  # a real graph, not a list of nodes


def test_a_record_that_depends_on_a_missing_node_is_named(compiled: Path) -> None:
    records = read_records(compiled)
    acl = records["acl:acme"]
    records["acl:acme"] = replace(acl, depends_on=(*acl.depends_on, "tenant:nobody"))
    with pytest.raises(RecordError, match=r"nodes/acl/acme\.json.*depends on tenant:nobody"):
        graph_from_records(records)
