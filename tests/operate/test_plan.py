"""`paybill plan` without a cloud (`--no-terraform`): the change set, the business summary,
agent permissions, the data-move guard, plan.json and summary.md; and `apply --plan`
refusing a stale plan. The Terraform half is in test_walk.py, on the emulator."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from compiler.operate import drifting
from compiler.operate.summary import LIMIT, MARKER, Section, render
from tests.operate.repo import TENANTS, Repository, tenant
from tests.support.postgres import Databases
from tests.support.tools import REPO, require_binary

PLAN_SCHEMA = REPO / "compiler/schemas/plan-v1.schema.json"
EMPTY = (
    f"{MARKER}\n## Paybill plan: no changes\n\n\n---\nEverything, including the saved "
    "Terraform plans, is in the plan folder (`plan`): `plan.json`.\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    require_binary("git", "install git")
    tenants = {**TENANTS, "echo": tenant("echo", "free", subscription="trialing")}
    return Repository.create(tmp_path / "platform", tenants)


def valid(data: object) -> list[str]:
    schema = json.loads(PLAN_SCHEMA.read_bytes())
    return [e.message for e in Draft202012Validator(schema).iter_errors(data)]


def test_an_unchanged_repository_plans_nothing(repo: Repository) -> None:
    run = repo.paybill("plan", "--base", "main", "--no-terraform")
    assert (run.code, run.out) == (0, "Paybill plan: no changes: plan/summary.md\n")
    assert (repo.root / "plan/summary.md").read_text() == EMPTY
    data = repo.plan_json()
    assert valid(data) == []
    assert (data["exitCode"], data["nodes"], data["stacks"]) == (0, {}, {})


def forge_module(repo: Repository, module: str, old: str, new: str) -> None:
    """Commit `module` as another build of the builders wrote it (its file and its record
    agree, from other code): what the base of a compiler upgrade that changes it holds."""
    generated = repo.root / "generated"
    path = generated / "modules" / module / "cdk.tf.json"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    record_file = generated / "nodes" / "module" / f"{module}.json"
    record = json.loads(record_file.read_text())
    for entry in record["artifacts"]:
        if entry["path"] == f"modules/{module}/cdk.tf.json":
            entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
            entry["bytes"] = path.stat().st_size
    record["inputDigest"] = "0" * 64  # other code
    record_file.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    repo.git("commit", "-q", "-am", f"{module} as an older build wrote it")


def test_a_module_change_is_said_once_and_plans_every_stack_that_uses_it(
    repo: Repository,
) -> None:
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))
    repo.commit("a second tenant on starter")
    forge_module(repo, "aws-pooled-shared-limited", "The tenant's API limits", "Older words")
    assert repo.paybill("compile", "spec", "--out", "generated").code == 0
    run = repo.paybill("plan", "--base", "HEAD", "--no-terraform")
    assert run.code == 2, run
    data = repo.plan_json()
    assert valid(data) == []
    assert list(data["nodes"]) == ["module:aws-pooled-shared-limited"]
    assert data["modules"] == {
        "aws-pooled-shared-limited": {
            "change": "changed",
            "usedBy": ["tenant-alpha", "tenant-delta", "tenant-echo"],
        }
    }
    assert {s: p["module"] for s, p in data["stacks"].items()} == {
        "tenant-alpha": "aws-pooled-shared-limited",
        "tenant-delta": "aws-pooled-shared-limited",
        "tenant-echo": "aws-pooled-shared-limited",
    }
    summary = (repo.root / "plan/summary.md").read_text()
    assert summary.startswith(f"{MARKER}\n## Paybill plan: 1 module change\n")
    infrastructure = summary.split("### Infrastructure\n\n", 1)[1]
    assert infrastructure.startswith(
        "- module `aws-pooled-shared-limited` changed: used by 3 stacks\n\n"
        "| stack | change | create | update | replace | delete |\n"
    )
    assert "| `tenant-alpha` | module `aws-pooled-shared-limited` | not planned" in summary


def test_a_new_pii_column_widens_exactly_the_tenants_that_run_the_workflow(
    repo: Repository,
) -> None:
    repo.edit(
        "schema/tickets.yaml",
        "    - {name: subject, type: text}",
        "    - {name: subject, type: text}\n"
        "    - {name: requester_phone, type: text, pii: true, nullable: true}",
    )
    repo.edit(
        "workflows/ticket-triage.yaml",
        "columns: [id, subject,",
        "columns: [id, requester_phone, subject,",
    )
    repo.commit("triage reads the requester's phone")
    run = repo.paybill("plan", "--base", "HEAD~1", "--no-terraform")
    assert run.code == 2, run
    data = repo.plan_json()
    assert valid(data) == []
    reach = (
        "support-triage / ticket-triage / read-ticket: personal data "
        "support.tickets.requester_phone"
    )
    widened = {t: c["widened"] for t, c in data["acl"].items() if c["widened"]}
    # echo's plan (free) has no ai-support: its agents never run ticket-triage.
    assert widened == {t: [f"newly reachable: {reach}"] for t in ("alpha", "bravo", "charlie")}
    summary = (repo.root / "plan/summary.md").read_text()
    assert f"### Agent permissions that widen\n\n- **alpha**: newly reachable: {reach}\n" in summary
    assert "echo" not in data["acl"]


def test_moving_a_pooled_tenant_to_silo_is_refused_as_a_data_move(repo: Repository) -> None:
    """Compiled from scratch (no previous output to check against), the move reaches the
    plan, whose guard refuses it until the spec confirms it."""
    repo.write("tenants/alpha.yaml", tenant("alpha", "enterprise", pool=None))
    shutil.rmtree(repo.root / "generated")
    repo.commit("alpha goes silo")
    run = repo.paybill("plan", "--base", "HEAD~1", "--no-terraform")
    assert run.code == 1, run
    assert run.out.splitlines()[1] == (
        "  refused: tenant alpha's rows move from database pool-eu-shared to tenant-alpha; add "
        "to Tenant/alpha spec: confirmDataMove: {from: pool-eu-shared, to: tenant-alpha}"
    )
    data = repo.plan_json()
    assert valid(data) == []
    assert data["tenants"] == [
        {
            "tenant": "alpha",
            "change": "changed",
            "fields": {
                "isolation": {"from": "pooled", "to": "silo"},
                "plan": {"from": "starter", "to": "enterprise"},
                "pool": {"from": "eu-shared", "to": None},
            },
            "dataMove": {"from": "pool-eu-shared", "to": "tenant-alpha"},
        }
    ]
    summary = (repo.root / "plan/summary.md").read_text()
    assert (
        "### Data that moves\n\n- **alpha**: rows move from `pool-eu-shared` to `tenant-alpha`\n"
        in summary
    )
    repo.write(
        "tenants/alpha.yaml",
        tenant(
            "alpha",
            "enterprise",
            pool=None,
            extra="  confirmDataMove: {from: pool-eu-shared, to: tenant-alpha}\n",
        ),
    )
    repo.commit("confirmed")
    assert repo.paybill("plan", "--base", "HEAD~2", "--no-terraform").code == 2
    assert repo.plan_json()["destructive"][0]["confirmed"] is True


def test_a_confirmation_left_in_the_spec_is_listed_by_every_later_plan(
    repo: Repository,
) -> None:
    repo.write(
        "tenants/charlie.yaml",
        tenant(
            "charlie", "enterprise", pool=None, extra="  confirmDestroy: [aws_s3_bucket.bucket]\n"
        ),
    )
    repo.commit("charlie's bucket may go")
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))
    repo.commit("delta")
    run = repo.paybill("plan", "--base", "HEAD~1", "--no-terraform")
    assert run.code == 2, run
    assert repo.plan_json()["unusedConfirmations"] == [
        "Tenant/charlie spec: confirmDestroy aws_s3_bucket.bucket matches no planned change"
    ]
    assert "### Confirmations no longer needed" in (repo.root / "plan/summary.md").read_text()


def test_the_base_may_be_a_folder_holding_an_output(repo: Repository, tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(repo.root / "generated", base / "generated")
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))
    repo.commit("delta")
    run = repo.paybill("plan", "--base", str(base), "--no-terraform")
    assert run.code == 2, run
    data = repo.plan_json()
    assert data["tenants"][0]["tenant"] == "delta"
    assert sorted(data["nodes"]) == ["acl:delta", "stack:tenant-delta", "tenant:delta"]
    assert data["stacks"]["tenant-delta"]["planned"] is False  # --no-terraform


@pytest.mark.postgres
def test_a_live_database_is_compared_and_its_password_is_never_written(
    repo: Repository, pg: Databases
) -> None:
    database = pg.new("pool")
    secret = "s3cret-not-for-logs"
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))
    repo.commit("delta")
    run = repo.paybill(
        "plan",
        "--base",
        "HEAD~1",
        "--no-terraform",
        "--dsn",
        f"pool-eu-shared={database.dsn} password={secret}",
    )
    assert run.code == 2, run
    summary = (repo.root / "plan/summary.md").read_text()
    compared = next(line for line in summary.splitlines() if line.startswith("**pool-eu-shared**"))
    assert f"dbname={database.name}" in compared
    assert "password=***" in compared
    assert 'CREATE ROLE "app_delta"' in summary  # the statements a converge would run
    written = [summary, (repo.root / "plan/plan.json").read_text(), run.out, run.err]
    assert not [text for text in written if secret in text]


def test_apply_refuses_a_plan_whose_output_changed_since(repo: Repository) -> None:
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))
    repo.commit("delta")
    assert repo.paybill("plan", "--base", "HEAD~1", "--no-terraform").code == 2
    repo.edit("tenants/delta.yaml", "plan: starter", "plan: free")
    repo.commit("delta on free after all")
    run = repo.paybill("apply", "--plan", "plan")
    assert run.code == 1, run
    assert (
        "is stale: acl:delta, stack:tenant-delta, tenant:delta changed since it was made" in run.err
    )


def test_plan_refuses_output_the_spec_no_longer_compiles_to(repo: Repository) -> None:
    repo.edit("tenants/alpha.yaml", "plan: starter", "plan: free")  # not compiled
    run = repo.paybill("plan", "--base", "main", "--no-terraform")
    assert run.code == 1
    assert run.err.startswith("paybill: generated is not what spec compiles to (")


def test_a_long_summary_is_cut_at_a_line_and_says_where_the_rest_is() -> None:
    sections = [
        Section("Tenants", [f"- **t{i:05}** added" for i in range(200)], keep=True),
        Section("Agent permissions", [f"- allowed: step {i} " + "x" * 80 for i in range(5000)]),
    ]
    text = render("Paybill plan: a lot", sections, "plan")
    assert len(text) <= LIMIT
    assert "- **t00199** added" in text  # kept whole
    assert "more lines left out to keep this comment short: see `plan.json`." in text
    assert text.endswith("is in the plan folder (`plan`): `plan.json`.\n")


def test_the_drift_report_names_its_own_marker_and_json(tmp_path: Path) -> None:
    result = drifting.DriftResult(sql={"pool-x": ['PUBLIC has SELECT on "a"."b"']})
    text = drifting.write(result, tmp_path / "drift").read_text()
    assert text == (
        "<!-- paybill-drift -->\n## Paybill drift: drift found\n\n### Databases\n\n"
        '- `pool-x`: PUBLIC has SELECT on "a"."b"\n\n---\nEverything is in the drift folder '
        f"(`{(tmp_path / 'drift').as_posix()}`): `drift.json`.\n"
    )
    assert (tmp_path / "drift" / "drift.json").is_file()
