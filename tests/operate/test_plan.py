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
    "Terraform plans, is in the plan folder (`plan`): `plan.json` and every line of this "
    "summary in `details.md`.\n"
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
    step = "support-triage / ticket-triage / read-ticket"
    reach = [
        f"{step}: newly reaches personal data support.tickets.requester_phone",
        f"{step}: newly reads support.tickets.requester_phone",
    ]
    widened = {t: c["widened"] for t, c in data["acl"].items() if c["widened"]}
    # echo's plan (free) has no ai-support: its agents never run ticket-triage.
    assert widened == dict.fromkeys(("alpha", "bravo", "charlie"), reach)
    summary = (repo.root / "plan/summary.md").read_text()
    assert (
        "### Agent permissions that widen\n\n"
        f"- 3 tenants (alpha, bravo, charlie): {reach[0]}\n"
        f"- 3 tenants (alpha, bravo, charlie): {reach[1]}\n"
    ) in summary
    assert "echo" not in data["acl"]


def test_moving_a_pooled_tenant_to_silo_is_refused_as_a_migration(repo: Repository) -> None:
    """Compiled from scratch (no previous output to check against), the move reaches the
    plan, whose guard refuses it until the spec confirms it, and prints the whole migration."""
    repo.write("tenants/alpha.yaml", tenant("alpha", "enterprise", pool=None))
    shutil.rmtree(repo.root / "generated")
    repo.commit("alpha goes silo")
    run = repo.paybill("plan", "--base", "HEAD~1", "--no-terraform")
    assert run.code == 1, run
    assert run.out.splitlines()[1] == (
        "  refused: tenant alpha moves from pooled/eu-shared to silo/aws/eu-central-1 "
        "(isolation): a migration; add to Tenant/alpha spec: "
        "migration: {from: pooled/eu-shared, to: silo/aws/eu-central-1}"
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
    assert [(m["from"], m["to"], m["confirmed"]) for m in data["migrations"]] == [
        ("pooled/eu-shared", "silo/aws/eu-central-1", False)
    ]
    summary = (repo.root / "plan/summary.md").read_text()
    block = summary.split("### Migrations\n\n")[1].split("\n\n")[0]
    assert block == MIGRATION_BLOCK
    repo.write(
        "tenants/alpha.yaml",
        tenant(
            "alpha",
            "enterprise",
            pool=None,
            extra="  migration: {from: pooled/eu-shared, to: silo/aws/eu-central-1}\n",
        ),
    )
    repo.commit("confirmed")
    assert repo.paybill("plan", "--base", "HEAD~2", "--no-terraform").code == 2
    assert repo.plan_json()["destructive"][0]["confirmed"] is True


MIGRATION_BLOCK = """\
- **alpha** (isolation): `pooled/eu-shared` → `silo/aws/eu-central-1`
  - from: pooled/eu-shared, database `pool-eu-shared`
  - to: silo/aws/eu-central-1, database `tenant-alpha`, stack `tenant-alpha`
  - steps:
    1. create the new home beside the old: silo/aws/eu-central-1: stack tenant-alpha with \
its own database tenant-alpha
    2. copy the data: each of the tenant's tables, in dependency order, from database \
pool-eu-shared to tenant-alpha; rows counted on both sides before the switch (a mismatch \
stops the migration with both counts)
    3. switch: the tenant's records, routing, ACL and entitlements name silo/aws/eu-central-1
    4. retire the old home pooled/eu-shared: the tenant's rows deleted from pool-eu-shared \
after a dump of them, only after the second confirmation, 'retireOld: true'
  - kept: the old home pooled/eu-shared (the tenant's rows in the pool's database \
pool-eu-shared), untouched, until the spec adds 'retireOld: true' to its migration block
  - ❌ refused until the spec confirms it (exit 1): add to `Tenant/alpha spec`: \
`migration: {from: pooled/eu-shared, to: silo/aws/eu-central-1}`"""


def test_doing_what_the_migration_message_says_leads_to_a_plan(repo: Repository) -> None:
    """The refusal names the block to add and then the command to run; doing exactly that
    compiles, and the plan it names shows the migration (it does not refuse it again)."""
    repo.write("tenants/alpha.yaml", tenant("alpha", "pro"))
    compiled = repo.paybill("compile", "spec", "--out", "generated")
    assert compiled.code == 1
    hint = compiled.err.splitlines()[0].split("which needs a reviewed confirmation (")[1]
    assert hint == (
        "add 'migration: {from: pooled/eu-shared, to: bridge/eu-shared}' to the tenant's spec "
        "and compile; then run 'paybill plan --base origin/main' (your base branch): it prints "
        "the whole migration, which 'paybill apply' runs once merged, keeping the old home "
        "until a second confirmation, 'retireOld: true', retires it (docs/migrations.md))"
    )
    line = hint.split("'")[1]
    repo.write("tenants/alpha.yaml", tenant("alpha", "pro", extra=f"  {line}\n"))
    assert repo.paybill("compile", "spec", "--out", "generated").code == 0
    command = hint.split("then run '")[1].split("'")[0].split()
    assert command[:3] == ["paybill", "plan", "--base"]
    run = repo.paybill(*command[1:3], "main", "--no-terraform")  # `main` is this base branch
    assert run.code == 2, run
    moved = repo.plan_json()["destructive"][0]
    assert (moved["confirmed"], moved["confirmation"]) == (True, line)
    assert (
        "✅ confirmed: `migration: {from: pooled/eu-shared, to: bridge/eu-shared}`"
        in (repo.root / "plan/summary.md").read_text()
    )


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
    # The statements a converge would run: the whole pool, as the database is empty; too
    # many for the comment, which counts them, so they are in details.md.
    details = (repo.root / "plan/details.md").read_text()
    assert 'CREATE ROLE "app_delta"' in details
    written = [summary, details, (repo.root / "plan/plan.json").read_text(), run.out, run.err]
    assert not [text for text in written if secret in text]


def test_a_change_to_the_shared_sql_is_planned_once_for_every_target(repo: Repository) -> None:
    """A column added to a table changes the runtime every SQL target shares: the plan says
    so once, counts every target, and applies to all of them (downstream)."""
    repo.edit(
        "schema/tickets.yaml",
        "    - {name: subject, type: text}",
        "    - {name: subject, type: text}\n    - {name: channel, type: text, nullable: true}",
    )
    repo.commit("tickets get a channel")
    run = repo.paybill("plan", "--base", "HEAD~1", "--no-terraform")
    assert run.code == 2, run
    data = repo.plan_json()
    assert valid(data) == []
    targets = ["sql:pool-eu-shared", "sql:tenant-bravo", "sql:tenant-charlie"]
    # The targets' own files do not change: they are downstream of the runtime.
    assert [n for n in data["nodes"] if n.startswith(("sql:", "runtime:"))] == ["runtime:sql"]
    assert set(targets) <= set(data["downstream"])
    assert data["sql"] == {
        "shared": {
            "changes": [
                "every SQL target applies this (3 in all)",
                "column support.tickets.channel is added",
            ],
            "statements": [],
            "live": None,
        }
    }
    summary = (repo.root / "plan/summary.md").read_text()
    assert summary.count("column support.tickets.channel is added") == 1
    assert "## Paybill plan: 3 databases change" in summary
    assert "### Databases\n\n**The SQL every target shares** (`sql/shared/`)\n" in summary


@pytest.mark.postgres
def test_a_change_to_the_shared_sql_shows_each_databases_statements(
    repo: Repository, pg: Databases
) -> None:
    database = pg.new("pool")
    repo.edit("workflows/ticket-triage.yaml", "maxRowsPerStep: ", "maxRowsPerStep: 1")
    repo.commit("triage reads more rows per step")
    run = repo.paybill(
        "plan", "--base", "HEAD~1", "--no-terraform", "--dsn", f"pool-eu-shared={database.dsn}"
    )
    assert run.code == 2, run
    data = repo.plan_json()
    assert sorted(data["sql"]) == ["pool-eu-shared", "shared"]  # bravo, charlie: no DSN
    assert data["sql"]["shared"]["changes"] == [
        "every SQL target applies this (3 in all)",
        "workflow ticket-triage changes its limits",
        "step function ticket-triage.classify changes",
        "step function ticket-triage.read-ticket changes",  # lookup calls a tool: no rows
    ]
    # An empty database: a converge creates everything, the new runtime included.
    pool = data["sql"]["pool-eu-shared"]
    assert pool["changes"] == []
    assert 'CREATE OR REPLACE FUNCTION "paybill_api"."ticket-triage.lookup"(' in "\n".join(
        pool["statements"]
    )


@pytest.mark.postgres
def test_the_shared_sql_node_is_applied_by_the_targets_that_use_it(
    repo: Repository, pg: Databases
) -> None:
    database = pg.new("pool")
    dsn = ("--dsn", f"pool-eu-shared={database.dsn}")
    only = ("--only", "runtime:sql", "--only", "sql:pool-eu-shared")
    run = repo.paybill("apply", *only, *dsn)
    assert run.code == 0, run
    lines = run.out.splitlines()
    assert lines[0] == (
        "wave 0  runtime:sql: applied: the SQL every target shares: applied by each of the 3 SQL "
        "targets"
    )
    assert lines[1].startswith("wave 1  sql:pool-eu-shared: applied: pool-eu-shared: ")
    drift = repo.paybill("sql", "drift", "--target", "pool-eu-shared", "--dsn", database.dsn)
    assert drift.code == 0, drift


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
    assert (
        "more lines left out to keep this comment short: see `details.md` and `plan.json`." in text
    )
    assert text.endswith(
        "is in the plan folder (`plan`): `plan.json` and every line of this summary in "
        "`details.md`.\n"
    )


def test_a_summary_too_long_for_one_comment_falls_back_to_grouped_forms() -> None:
    """Sections that must not be cut say the same grouped; the longest gives way first."""
    added = [f"- **t{i:05}** added: plan starter" for i in range(3000)]
    sections = [
        Section("Tenants", added, keep=True, shorter=[["- 3,000 tenants added: plan starter"]]),
        Section("Databases", ["- a role is created"] * 10, shorter=[["- 10 changes"]]),
    ]
    text = render("Paybill plan: a lot", sections, "plan")
    assert len(text) <= LIMIT
    assert "### Tenants\n\n- 3,000 tenants added: plan starter\n" in text
    assert "### Databases\n\n" + "- a role is created\n" * 10 in text  # it fitted
    whole = render("Paybill plan: a lot", sections, "plan", limit=None)
    assert all(line in whole for line in added)


def test_the_drift_report_names_its_own_marker_and_json(tmp_path: Path) -> None:
    result = drifting.DriftResult(sql={"pool-x": ['PUBLIC has SELECT on "a"."b"']})
    text = drifting.write(result, tmp_path / "drift").read_text()
    assert text == (
        "<!-- paybill-drift -->\n## Paybill drift: drift found\n\n### Databases\n\n"
        '- `pool-x`: PUBLIC has SELECT on "a"."b"\n\n---\nEverything is in the drift folder '
        f"(`{(tmp_path / 'drift').as_posix()}`): `drift.json`.\n"
    )
    assert (tmp_path / "drift" / "drift.json").is_file()
