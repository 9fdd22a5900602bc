"""The acl output family: which files, for which nodes, valid, snapshotted, deterministic,
and rebuilt exactly when their inputs change."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from compiler.emit import Artifact, Recorded
from compiler.emit.acl import FAMILY
from compiler.emit.families import FAMILIES
from compiler.graph import build_graph
from compiler.pipeline import validate
from tests.acl.compiled import acl_artifacts
from tests.acl.specs import PLANS, SCHEMA, TOOLS, WORKFLOWS, fixture_spec, tenant
from tests.conftest import ALL_SPECS, SPEC, WriteSpec
from tests.support.tools import REPO

SCHEMA_FILE = REPO / "compiler" / "schemas" / "acl-v1.schema.json"


class JsonSnapshot(SingleFileSnapshotExtension):
    """One snapshot file per ACL, as the JSON itself, so that review reads it as it is."""

    file_extension = "json"
    _write_mode = WriteMode.TEXT


class CedarSnapshot(SingleFileSnapshotExtension):
    file_extension = "cedar"
    _write_mode = WriteMode.TEXT


@cache
def artifacts_of(spec_dir: Path) -> dict[str, Artifact]:
    return {a.path: a for a in acl_artifacts(spec_dir)}


ACL_FILES = [
    pytest.param(spec_dir, path, id=f"{spec_dir.name}-{Path(path).stem}")
    for spec_dir in ALL_SPECS
    for path in sorted(artifacts_of(spec_dir))
    if path.count("/") == 1
]


def test_the_family_is_registered() -> None:
    assert FAMILY in FAMILIES
    assert FAMILY.name == "acl"


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_every_live_tenant_gets_an_acl_and_its_principals_and_nothing_else(
    spec_dir: Path,
) -> None:
    spec = validate(spec_dir)
    live = [t.name for t in spec.live_tenants]
    expected = {
        "acl/cedar/schema.cedarschema": "cedar:platform",
        "acl/cedar/policies.cedar": "cedar:platform",
        "acl/cedar/platform.entities.json": "cedar:platform",
    }
    for name in live:
        expected[f"acl/{name}.json"] = f"acl:{name}"
        expected[f"acl/cedar/tenants/{name}.entities.json"] = f"acl:{name}"
        expected[f"acl/entitlements/{name}.json"] = f"acl:{name}"
    assert {path: a.node for path, a in artifacts_of(spec_dir).items()} == expected
    assert set(build_graph(spec).nodes("acl")) == {f"acl:{n}" for n in live}


def test_deleted_tenants_have_no_files() -> None:
    assert validate(SPEC).tenant("soylent").state == "deleted"
    assert not [p for p in artifacts_of(SPEC) if "soylent" in p]


@pytest.mark.parametrize(("spec_dir", "path"), ACL_FILES)
def test_every_acl_satisfies_the_committed_schema(spec_dir: Path, path: str) -> None:
    schema = json.loads(SCHEMA_FILE.read_bytes())
    document = json.loads(artifacts_of(spec_dir)[path].content)
    assert [e.message for e in Draft202012Validator(schema).iter_errors(document)] == []
    assert document["schemaVersion"] == "paybill.dev/acl/v1"
    assert f"acl/{document['tenant']}.json" == path


@pytest.mark.parametrize(("spec_dir", "path"), ACL_FILES)
def test_each_acl_file_matches_its_snapshot(
    spec_dir: Path, path: str, snapshot: SnapshotAssertion
) -> None:
    content = artifacts_of(spec_dir)[path].content.decode()
    assert content == snapshot.use_extension(JsonSnapshot)


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_each_policy_set_matches_its_snapshot(spec_dir: Path, snapshot: SnapshotAssertion) -> None:
    content = artifacts_of(spec_dir)["acl/cedar/policies.cedar"].content.decode()
    assert content == snapshot.use_extension(CedarSnapshot)


def test_output_is_text_with_one_trailing_newline_and_no_local_paths() -> None:
    for spec_dir in ALL_SPECS:
        for path, artifact in artifacts_of(spec_dir).items():
            text = artifact.content.decode()
            assert text.endswith("\n"), path
            assert not text.endswith("\n\n"), path
            assert "\r" not in text, path
            assert str(REPO) not in text, path
            assert "/tmp" not in text, path


_HASHES = """
import hashlib, sys
from pathlib import Path
from tests.acl.compiled import acl_artifacts
for a in sorted(acl_artifacts(Path(sys.argv[1])), key=lambda a: a.path):
    print(a.path, hashlib.sha256(a.content).hexdigest())
"""


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_bytes_do_not_depend_on_hash_seeds(spec_dir: Path) -> None:
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        result = subprocess.run(
            [sys.executable, "-c", _HASHES, str(spec_dir)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=REPO,
        )
        runs.append(result.stdout)
    assert runs[0] == runs[1]
    expected = sorted(
        f"{a.path} {hashlib.sha256(a.content).hexdigest()}" for a in artifacts_of(spec_dir).values()
    )
    assert runs[0].splitlines() == expected


# -- digests and reuse ---------------------------------------------------------------------

TENANTS = "---\n".join(
    [tenant("acme"), tenant("bigco", "plus"), tenant("calm", "plus", "suspended")]
)
MUTATIONS = {
    "purge row cap": {"workflows": WORKFLOWS.replace("maxRowsPerStep: 10}", "maxRowsPerStep: 9}")},
    "mailer effect": {"tools": TOOLS.replace("effect: external}", "effect: write}")},
    "email not pii": {"schema": SCHEMA.replace("type: text, pii: true}", "type: text}")},
    "acme suspended": {
        "tenants": TENANTS.replace(tenant("acme"), tenant("acme", state="suspended"))
    },
    "basic gains cleanup": {
        "plans": PLANS.replace("features: [reports]\n", "features: [reports, cleanup]\n")
    },
}


def emitted(spec_dir: Path) -> tuple[dict[str, str], dict[str, bytes]]:
    """Digest per node, and the bytes of every per-tenant file of each node."""
    spec = validate(spec_dir)
    graph = build_graph(spec)
    by_node: dict[str, bytes] = {}
    for artifact in sorted(FAMILY.emit(spec, graph, {}), key=lambda a: a.path):
        if artifact.node:
            by_node[artifact.node] = by_node.get(artifact.node, b"") + artifact.content
    return FAMILY.input_digests(spec, graph), by_node


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_node_whose_files_change_gets_a_new_digest(
    write_spec: WriteSpec, tmp_path: Path, mutation: str
) -> None:
    files = {"tenants": TENANTS, **MUTATIONS[mutation]}
    before = emitted(write_spec(fixture_spec(tenants=TENANTS)))
    (tmp_path / "spec").rename(tmp_path / "before")
    after = emitted(write_spec(fixture_spec(**files)))
    changed_bytes = {n for n in before[1] if before[1][n] != after[1][n]}
    changed_digests = {n for n in before[0] if before[0][n] != after[0][n]}
    assert changed_bytes, "the mutation should change some tenant's files"
    assert changed_bytes <= changed_digests


def test_an_unrelated_tenant_keeps_its_digest_and_is_reused(write_spec: WriteSpec) -> None:
    spec_dir = write_spec(fixture_spec(tenants=TENANTS))
    spec = validate(spec_dir)
    graph = build_graph(spec)
    first = FAMILY.emit(spec, graph, {})
    digests = FAMILY.input_digests(spec, graph)

    moved = TENANTS.replace(tenant("acme"), tenant("acme", state="suspended"))
    spec_dir.joinpath("tenants.yaml").write_text(moved)
    spec2 = validate(spec_dir)
    graph2 = build_graph(spec2)
    digests2 = FAMILY.input_digests(spec2, graph2)
    assert {n for n in digests if digests[n] != digests2[n]} == {"acl:acme"}

    reuse = {
        node: [Recorded(a.path, a.sha256, a.size, node) for a in first if a.node == node]
        for node in digests2
        if digests2[node] == digests[node]
    }
    second = FAMILY.emit(spec2, graph2, reuse)
    fresh = FAMILY.emit(spec2, graph2, {})
    assert sorted((a.path, a.sha256) for a in second) == sorted((a.path, a.sha256) for a in fresh)
    assert {a.node for a in second if isinstance(a, Recorded)} == {
        "acl:bigco",
        "acl:calm",
        "cedar:platform",
    }
