"""The 'sql' family: what it writes per target, byte-stable, and reuse of unchanged targets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler.emit import Recorded
from compiler.emit.sql import FAMILY
from compiler.emit.sql.build import build_runtime
from compiler.emit.sql.render import FILE_ORDER
from compiler.graph import build_graph
from compiler.pipeline import validate
from tests.conftest import ALL_SPECS, EXAMPLES, WriteSpec
from tests.emit.sql.compiled import emit_sql, states_from
from tests.emit.sql.specs import KEYWORDS
from tests.support.tools import REPO

FLEET = next(p for p in EXAMPLES if p.name == "pooled-fleet")


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_sql_of_each_spec(spec_dir: Path, snapshot: SnapshotAssertion) -> None:
    artifacts = emit_sql(validate(spec_dir))
    sql = {a.path: a.content.decode() for a in artifacts if a.path.endswith(".sql")}
    assert sql == snapshot


def test_the_runtime_once_then_each_target_its_own_files_and_a_part_per_tenant() -> None:
    spec = validate(FLEET)
    artifacts = emit_sql(spec)
    runtime = [
        (f"sql/shared/{name}", "runtime:sql")
        for name in ("00-owner.sql", "10-schema.sql", "15-runs.sql", "40-steps.sql", "state.json")
    ]
    own = [
        (f"sql/pool-fleet-eu/{name}", "sql:pool-fleet-eu")
        for name in ("00-roles.sql", "50-grants.sql", "state.json")
    ]
    tenants = ["alpha-co", "bravo-labs", "charlie-works", "delta-ltd", "echo-inc", "foxtrot"]
    parts = [
        (f"sql/pool-fleet-eu/tenants/{t}.{suffix}", f"tenant:{t}")
        for t in tenants
        for suffix in ("json", "sql")
    ]
    assert [(a.path, a.node) for a in artifacts] == runtime + own + parts
    for artifact in artifacts:
        text = artifact.content.decode()
        assert text.endswith("\n")
        assert not text.endswith("\n\n")
        assert "\r" not in text


def test_the_files_apply_in_one_order_with_no_name_in_both_folders() -> None:
    assert FILE_ORDER == (
        ("shared", "00-owner.sql"),
        ("target", "00-roles.sql"),
        ("shared", "10-schema.sql"),
        ("shared", "15-runs.sql"),
        ("shared", "40-steps.sql"),
        ("target", "50-grants.sql"),
    )


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_the_runtime_names_no_role_of_a_target(spec_dir: Path) -> None:
    """The shared files create, own and revoke, but grant nothing and name no role other
    than the owner: whatever names a target's roles is in the target's files."""
    spec = validate(spec_dir)
    artifacts = emit_sql(spec)
    shared = "".join(
        a.content.decode() for a in artifacts if a.node == "runtime:sql" and a.path.endswith(".sql")
    )
    assert re.findall(r"\bpaybill_(?:pool|tenant)_\w+", shared) == []
    assert re.findall(r"^\s*GRANT (?!\"paybill_owner\" TO CURRENT_USER)", shared, re.M) == []
    names = {r.name for state in states_from(artifacts).values() for r in state.roles}
    assert names
    assert {n for n in names if f'"{n}"' in shared or f"'{n}'" in shared} == set()
    # Nor what stands for a target's role in the runtime (a profile's key), as a role.
    keys = build_runtime(spec).keys
    assert [k for k in keys if re.search(rf'\b(?:TO|ROLE)\s+"{re.escape(k)}"', shared)] == []
    assert not any(re.search(rf"\b{t.name}\b", shared) for t in spec.tenants)


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_shared_files_never_name_a_tenant_and_lines_stay_short(spec_dir: Path) -> None:
    spec = validate(spec_dir)
    names = {t.name for t in spec.tenants} | {t.app_role for t in spec.tenants}
    for artifact in emit_sql(spec):
        text = artifact.content.decode()
        if artifact.node.startswith("sql:"):
            named = {n for n in names if re.search(rf"\b{re.escape(n)}\b", text)}
            # A silo's own database is named after its tenant, nothing else names one.
            assert named <= {artifact.node.removeprefix("sql:tenant-")}, artifact.path
        # Identifiers are at most 63 bytes: no statement line needs more than about 230.
        longest = max(len(line) for line in text.splitlines())
        assert longest <= 240, (artifact.path, longest)


def test_keywords_and_dashes_are_quoted_everywhere(write_spec: WriteSpec) -> None:
    artifacts = emit_sql(validate(write_spec(KEYWORDS)))
    text = "".join(a.content.decode() for a in artifacts if a.path.endswith(".sql"))
    assert 'CREATE SCHEMA IF NOT EXISTS "select" AUTHORIZATION "paybill_owner";' in text
    assert 'CREATE TABLE IF NOT EXISTS "select"."from-items" (' in text
    assert '  "where" numeric(7, 2),\n' in text
    assert 'FROM "select"."from-items" AS t\n    WHERE (t."where" = ANY ($2)\n' in text
    assert (
        "GRANT\n"
        '  SELECT ("group-by", "order", "where"),\n'
        '  INSERT ("group-by", "order", "user"),\n'
        '  UPDATE ("group-by")\n'
        '  ON TABLE "select"."from-items" TO "paybill_pool_shared_steps";'
    ) in text
    assert "USING (\"user\" = 'bolt-co') WITH CHECK (\"user\" = 'bolt-co');" in text


_DIGEST = """
import hashlib, sys
from pathlib import Path
from compiler.emit import Recorded
from compiler.emit.sql import FAMILY
from compiler.emit.sql.build import build_runtime
from compiler.emit.sql.render import FILE_ORDER
from compiler.graph import build_graph
from compiler.pipeline import validate
spec = validate(Path(sys.argv[1]))
graph = build_graph(spec)
for a in FAMILY.emit(spec, graph, {}):
    print(a.path, hashlib.sha256(a.content).hexdigest())
print(sorted(FAMILY.input_digests(spec, graph).items()))
"""


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_output_does_not_depend_on_hash_seeds(spec_dir: Path) -> None:
    runs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _DIGEST, str(spec_dir)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(done.stdout)
    assert runs[0] == runs[1]
    assert runs[0].count("sql/") >= 5


def test_digests_change_only_for_the_parts_whose_state_changes(write_spec: WriteSpec) -> None:
    root = write_spec({})
    for source in (REPO / "spec").rglob("*.yaml"):
        target = root / source.relative_to(REPO / "spec")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    spec = validate(root)
    before = FAMILY.input_digests(spec, build_graph(spec))
    wayne = root / "tenants" / "wayne.yaml"
    wayne.write_text(wayne.read_text().replace("features: [refunds]", "features: []"))
    changed = validate(root)
    after = FAMILY.input_digests(changed, build_graph(changed))
    live = ["acme", "globex", "hooli", "initech", "piedpiper", "stark", "umbrella", "vandelay"]
    assert (
        sorted(before)
        == sorted(after)
        == [
            "runtime:sql",
            "sql:pool-eu-shared",
            "sql:pool-us-shared",
            "sql:tenant-acme",
            "sql:tenant-globex",
            "sql:tenant-stark",
            "sql:tenant-wayne",
            *(f"tenant:{t}" for t in [*live, "wayne"]),
        ]
    )
    # wayne's roles change; the shared part of its database does not, nor the runtime.
    assert [n for n in before if before[n] != after[n]] == ["tenant:wayne"]


def test_a_change_to_the_runtime_changes_every_targets_digest_and_only_its_files(
    write_spec: WriteSpec,
) -> None:
    """A step's body changes: the runtime's file does; every target is built again (its
    digest covers the runtime's) but its own files come out the same."""
    root = write_spec({})
    for source in FLEET.rglob("*.yaml"):
        target = root / source.relative_to(FLEET)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    spec = validate(root)
    before = FAMILY.prepare(spec, build_graph(spec))
    first = {a.path: a.sha256 for a in before.build({})}
    workflows = next(p for p in root.rglob("*.yaml") if "maxRowsPerStep" in p.read_text())
    text = workflows.read_text()
    workflows.write_text(text.replace("maxRowsPerStep: ", "maxRowsPerStep: 1", 1))
    changed = validate(root)
    after = FAMILY.prepare(changed, build_graph(changed))
    assert {n for n in before.digests if before.digests[n] != after.digests[n]} == set(
        before.digests
    )
    second = {a.path: a.sha256 for a in after.build({})}
    assert sorted(p for p in first if first[p] != second[p]) == [
        "sql/shared/15-runs.sql",
        "sql/shared/40-steps.sql",
        "sql/shared/state.json",
    ]


@pytest.mark.parametrize("node", ["runtime:sql", "sql:pool-fleet-eu"])
def test_reused_artifacts_are_returned_as_they_are(node: str) -> None:
    spec = validate(FLEET)
    graph = build_graph(spec)
    first = FAMILY.emit(spec, graph, {})
    offered = [Recorded(a.path, a.sha256, a.size, a.node) for a in first if a.node == node]
    assert offered
    again = FAMILY.emit(spec, graph, {node: offered})
    assert [a for a in again if a.node == node] == offered
    assert [a for a in again if a.node != node] == [a for a in first if a.node != node]


def test_artifacts_hold_no_absolute_paths_or_timestamps() -> None:
    for spec_dir in ALL_SPECS:
        for artifact in emit_sql(validate(spec_dir)):
            text = artifact.content.decode()
            assert str(REPO) not in text
            assert "/tmp" not in text
            assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", text), artifact.path
