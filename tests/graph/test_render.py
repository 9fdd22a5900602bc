"""`paybill graph`: the same spec prints the same bytes, in every format."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from compiler.cli import main
from compiler.graph import PlatformGraph, build_graph
from compiler.graph.render import FORMATS, mermaid_id, render
from compiler.pipeline import validate
from tests.conftest import EXAMPLES, SPEC, WriteSpec
from tests.support.tools import REPO


class GraphFile(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT


EXTENSIONS = {"mermaid": "mmd", "dot": "dot", "json": "json"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_spec_graph_matches_the_reviewed_snapshot(fmt: str, snapshot: SnapshotAssertion) -> None:
    extension = type(f"{fmt}File", (GraphFile,), {"file_extension": EXTENSIONS[fmt]})
    assert render(build_graph(validate(SPEC)), fmt) == snapshot(extension_class=extension)


def shuffled(graph: PlatformGraph, seed: int) -> PlatformGraph:
    """The same graph, its nodes and edges added in another order."""
    rng = random.Random(seed)
    nodes, edges = graph.nodes(), graph.edges()
    rng.shuffle(nodes)
    rng.shuffle(edges)
    copy = PlatformGraph()
    for node in nodes:
        copy.add(node, graph.kind(node), graph.name(node))
    for first, then in edges:
        copy.require(first, then)
    return copy


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("folder", [SPEC, *EXAMPLES], ids=lambda p: p.name)
def test_output_does_not_depend_on_insertion_order(fmt: str, folder: object) -> None:
    graph = build_graph(validate(folder))  # type: ignore[arg-type]
    expected = render(graph, fmt)
    assert all(render(shuffled(graph, seed), fmt) == expected for seed in range(5))


def test_json_lists_waves_and_dependencies() -> None:
    pooled_fleet = next(p for p in EXAMPLES if p.name == "pooled-fleet")
    data = json.loads(render(build_graph(validate(pooled_fleet)), "json"))
    node = next(n for n in data["nodes"] if n["id"] == "stack:tenant-alpha-co")
    assert node == {
        "dependsOn": ["module:aws-pooled-shared-limited", "stack:pool-fleet-eu"],
        "id": "stack:tenant-alpha-co",
        "kind": "stack",
        "name": "tenant-alpha-co",
        "wave": 1,
    }
    assert data["waves"][0] == [
        "cedar:platform",
        "module:aws-pool",
        "module:aws-pooled-shared-blocked",
        "module:aws-pooled-shared-limited",
        "module:aws-pooled-shared-unlimited",
        "runtime:sql",
        "stack:pool-fleet-eu",
    ]
    assert ["stack:pool-fleet-eu", "stack:tenant-alpha-co"] in data["edges"]


def test_mermaid_ids_are_safe_and_distinct() -> None:
    assert mermaid_id("stack:pool-eu-shared") == "stack__pool_eu_shared"
    assert mermaid_id("sql:tenant-a") != mermaid_id("stack:tenant-a")
    with pytest.raises(ValueError, match="graph node id 'stack:a_b' is not <kind>:<name>"):
        mermaid_id("stack:a_b")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown graph format 'svg'; choose one of mermaid"):
        render(PlatformGraph(), "svg")


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_command_prints_the_rendered_graph(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", str(SPEC), "--format", fmt]) == 0
    assert capsys.readouterr().out == render(build_graph(validate(SPEC)), fmt)


def test_the_command_defaults_to_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(SPEC)]) == 0
    assert capsys.readouterr().out.startswith("flowchart LR\n")


def test_the_command_reports_spec_errors_with_positions(
    write_spec: WriteSpec, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_spec(
        {
            "platform.yaml": """
                apiVersion: paybill.dev/v1
                kind: Platform
                metadata: {name: plat}
                spec:
                  cloud: aws
                  regions: [eu-west-1]
                  database: {name: app}
                  pools:
                    - name: shared
                      region: eu-west-1
                      network:
                        cidr: 10.0.0.0/8
                      database: {engine: postgres, version: "15", instanceClass: db.t4g.small,
                                 storageGb: 20}
            """
        }
    )
    assert main(["graph", str(root)]) == 1
    assert capsys.readouterr().err == (
        f"{root}/platform.yaml:12:15: Platform/plat spec.pools[0].network.cidr: '10.0.0.0/8' "
        "has a /8 prefix; it must be between /16 and /24 (the network is split into one "
        "private subnet per availability zone)\n1 error found\n"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_graph_of_the_committed_records_is_the_graph_of_the_spec(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", str(SPEC), "--format", fmt]) == 0
    from_spec = capsys.readouterr().out
    assert main(["graph", "--generated", str(REPO / "generated"), "--format", fmt]) == 0
    assert capsys.readouterr().out == from_spec


def test_a_folder_without_records_is_an_environment_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", "--generated", str(tmp_path)]) == 3
    assert capsys.readouterr().err == (
        f"paybill: {tmp_path}/manifest.json: there is no manifest: run paybill compile first\n"
    )
