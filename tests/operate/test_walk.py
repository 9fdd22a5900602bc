"""The whole loop, for real: a platform repository on a local AWS emulator and PostgreSQL.

The suite's one end-to-end walk, in the order a platform team lives it:
1. the first deployment: plan, then apply in waves — with a database unreachable in wave 1,
   which stops the apply there (exit 4); `--resume` finishes only what is left;
2. a pull request adds a tenant and moves another to a cheaper plan: plan (exactly those
   stacks), apply the reviewed plan, a second plan is empty;
3. drift made by hand — a resource changed through the emulator's API, a grant and a
   membership added in PostgreSQL — is reported (exit 2), and nothing else is; apply
   repairs it, and drift then finds nothing;
4. a migration: alpha's rows in the pool, alpha moved pooled -> bridge (refused until the
   spec confirms it, then applied: its stack and database made beside the pool's, the rows
   copied and counted before and after); then bridge -> silo with its retirement in one
   pull request: the new stack tenant-alpha-2 built beside the old one, the rows counted,
   the old stack torn down with its database's final snapshot kept.

The platform is a pool with a pooled and a silo tenant: two database instances, side by
side in wave 0, so the walk waits for the AWS provider's database waits once. Each other
behaviour is tested on its own, on a small stack: a bridge tenant applied through the
workflows (tests/scaffold/test_workflows_sandbox.py) and the runner
(tests/sandbox/test_stacks.py); destructive changes refused until confirmed
(tests/operate/test_destructive_plan.py, test_protected_plan.py); a pool change that keeps
its outputs (test_unapplied.py); a deleted tenant torn down and onboarded again
(tests/operate/test_teardown.py). Five to ten minutes, by the load of the machine.
"""

from __future__ import annotations

import json
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg
import pytest
from psycopg import sql

from compiler.emit.sql.state import TableState
from compiler.errors import EnvironmentProblem
from compiler.sandbox.emulator import HOW_TO_INSTALL, require_moto
from compiler.sandbox.postgres import HOW_TO_INSTALL as HOW
from compiler.sandbox.postgres import find_bin_dir
from compiler.sqlops.converge import load_state
from tests.emit.stacks.terraform import terraform
from tests.operate.repo import TENANTS, Repository, Run, tenant
from tests.sqlops.live import insert, row
from tests.support.tools import missing

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.postgres, pytest.mark.slow]
JOBS = "4"
# A pool, a pooled and a silo tenant (no bridge tenant: its stack waits for the pool's).
WALK_TENANTS = {name: TENANTS[name] for name in ("alpha", "charlie")}
PUBLIC_SELECT = 'PUBLIC has SELECT on "billing"."invoices"'


def sandbox_env(text: str) -> dict[str, str]:
    """The variables `sandbox.env` exports."""
    out = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            out[name] = shlex.split(value)[0]
    return out


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    terraform()
    try:
        require_moto()
    except EnvironmentProblem:
        missing("moto's server (the local AWS emulator)", HOW_TO_INSTALL)
    if find_bin_dir() is None:
        missing("PostgreSQL server binaries", HOW)
    root = tmp_path_factory.mktemp("walk")
    repository = Repository.create(root / "platform", WALK_TENANTS)
    # As root, the sandbox's PostgreSQL runs as the `postgres` user, which must be able to
    # reach its folder: pytest's own folders are private.
    sandbox = Path(tempfile.mkdtemp(prefix="paybill-walk-"))
    sandbox.chmod(0o755)
    up = repository.paybill("sandbox", "up", str(sandbox))
    assert up.code == 0, up.out + up.err
    repository.env = sandbox_env((sandbox / "sandbox.env").read_text())
    try:
        yield repository
    finally:
        down = repository.paybill("sandbox", "down", str(sandbox))
        shutil.rmtree(sandbox, ignore_errors=True)
        assert down.code == 0, down.out + down.err


def expect(run: Run, code: int) -> Run:
    """The run, having exited with `code`; otherwise everything it printed."""
    assert run.code == code, f"exit {run.code}, expected {code}\n{run.out}{run.err}"
    return run


def aws(repo: Repository, service: str) -> object:
    return boto3.client(
        service,
        endpoint_url=repo.env["AWS_ENDPOINT_URL"],
        region_name="eu-central-1",
        aws_access_key_id=repo.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=repo.env["AWS_SECRET_ACCESS_KEY"],
    )


def outcomes(run_out: str) -> dict[str, str]:
    """node -> outcome, from apply's report."""
    found = {}
    for line in run_out.splitlines():
        if line.startswith(("wave ", "removed ")) and ": " in line:
            head, _, rest = line.partition(": ")
            found[head.split()[-1]] = rest.split(":")[0]
    return found


def test_the_platform_lives_through_plan_apply_and_drift(repo: Repository) -> None:
    first_deployment(repo)
    pull_request(repo)
    drift_by_hand(repo)
    migration(repo)


def first_deployment(repo: Repository) -> None:
    """Plan and apply everything; tenant-charlie's database is unreachable in wave 1."""
    first = repo.paybill("plan", "--jobs", JOBS)
    assert first.code == 2, first.out + first.err
    assert (
        "**charlie** added: plan enterprise (silo), active"
        in (repo.root / "plan/summary.md").read_text()
    )
    broken = "tenant-charlie=host=127.0.0.1 port=1 user=postgres dbname=nothing connect_timeout=2"
    partial = repo.paybill("apply", "--plan", "plan", "--jobs", JOBS, "--dsn", broken)
    assert partial.code == 4, partial.out + partial.err
    states = outcomes(partial.out)
    assert states["sql:tenant-charlie"] == "failed", partial.out + partial.err
    assert {
        states[n] for n in ("stack:pool-eu-shared", "stack:tenant-charlie", "sql:pool-eu-shared")
    } == {"applied"}
    assert states["acl:alpha"] == "not started"
    assert "wave 1 failed: no further wave started" in partial.out
    resumed = repo.paybill("apply", "--plan", "plan", "--jobs", JOBS, "--resume")
    assert resumed.code == 0, resumed.out + resumed.err
    assert "apply: " in resumed.out
    journal = (Path(repo.env["PAYBILL_WORKDIR"]) / "journal.json").read_text()
    assert '"outcome": "failed"' not in journal


def pull_request(repo: Repository) -> None:
    """A new pooled tenant, and alpha on a cheaper plan: planned, merged, applied."""
    repo.git("checkout", "-q", "-b", "onboard-delta")
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))
    repo.edit("tenants/alpha.yaml", "plan: starter", "plan: free")
    repo.commit("onboard delta; alpha moves to free")
    planned = repo.paybill("plan", "--base", "main", "--jobs", JOBS)
    assert planned.code == 2, planned.out + planned.err
    summary = (repo.root / "plan/summary.md").read_text()
    assert "- **alpha**: plan starter → free" in summary
    assert (
        "- **delta** added: plan starter (pooled, pool eu-shared), active, subscription active"
        in summary
    )
    assert sorted(repo.plan_json()["stacks"]) == ["tenant-alpha", "tenant-delta"]
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-edit", "onboard-delta")
    merged = repo.paybill("apply", "--plan", "plan", "--jobs", JOBS)
    assert merged.code == 0, merged.out + merged.err
    again = repo.paybill("plan", "--base", "HEAD", "--jobs", JOBS)
    assert again.code == 0, again.out + again.err
    assert (
        (repo.root / "plan/summary.md")
        .read_text()
        .startswith("<!-- paybill-plan -->\n## Paybill plan: no changes\n")
    )


def drift_by_hand(repo: Repository) -> None:
    """Drift made by hand in the emulator and in PostgreSQL: reported, then repaired."""
    kms = aws(repo, "kms")
    key = next(
        k["KeyId"]
        for k in kms.list_keys()["Keys"]  # type: ignore[attr-defined]
        if any(
            t["TagKey"] == "tenant" and t["TagValue"] == "charlie"
            for t in kms.list_resource_tags(KeyId=k["KeyId"])["Tags"]  # type: ignore[attr-defined]
        )
    )
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "tenant", "TagValue": "someone-else"}])  # type: ignore[attr-defined]
    dsn_template = Path(repo.env["PAYBILL_DSN_FILE"]).read_text().splitlines()[-1].partition("=")[2]
    with psycopg.connect(
        dsn_template.replace("{target}", "pool-eu-shared"), autocommit=True
    ) as conn:
        conn.execute('GRANT SELECT ON "billing"."invoices" TO PUBLIC')
        conn.execute("CREATE ROLE login_alpha LOGIN")
        conn.execute("GRANT paybill_owner TO login_alpha")
    drifted = repo.paybill("drift", "--jobs", JOBS)
    assert drifted.code == 2, drifted.out + drifted.err
    # Exactly what was changed by hand drifted: nothing else was left behind by the applies.
    # (Roles are the server's, not a database's: the new membership shows in every target
    # of the sandbox's PostgreSQL.)
    report = json.loads((repo.root / "drift/drift.json").read_text())
    assert {s for s, lines in report["stacks"].items() if lines} == {"tenant-charlie"}, report
    by_hand = (PUBLIC_SELECT, 'role "login_alpha" is a member of the owner role "paybill_owner"')
    sql = [line for lines in report["sql"].values() for line in lines]
    assert sql, report
    assert [line for line in sql if not line.startswith(by_hand)] == [], report
    assert report["acl"] == [], report
    assert any(
        line.startswith("  stack tenant-charlie: ") and "aws_kms_key.key" in line
        for line in drifted.out.splitlines()
    ), drifted.out
    assert f"pool-eu-shared: {PUBLIC_SELECT}, which the spec does not grant" in drifted.out
    assert (
        'pool-eu-shared: role "login_alpha" is a member of the owner role "paybill_owner"'
        in drifted.out
    )
    repaired = repo.paybill("apply", "--jobs", JOBS)
    assert repaired.code == 0, repaired.out + repaired.err
    expect(repo.paybill("drift", "--jobs", JOBS), 0)


def migration(repo: Repository) -> None:
    """alpha (pooled, with rows) moves to a bridge plan: refused, confirmed, applied beside
    the pool with its rows counted; then on to silo."""
    template = Path(repo.env["PAYBILL_DSN_FILE"]).read_text().splitlines()[-1].partition("=")[2]
    generated = repo.root / "generated"
    tables = [t for t in load_state(generated, "pool-eu-shared").tables if t.tenant_scoped]
    with psycopg.connect(template.replace("{target}", "pool-eu-shared"), autocommit=True) as conn:
        for number, table in enumerate(tables):
            for index in range(3):
                insert(
                    conn, table, row(table, "tenant_id", "alpha", index, 100 + number * 10 + index)
                )
    before = rows_of(template, "pool-eu-shared", tables)
    assert set(before.values()) == {3}, before
    repo.git("checkout", "-q", "-b", "alpha-to-bridge")
    repo.write("tenants/alpha.yaml", tenant("alpha", "pro", extra=TO_BRIDGE))
    repo.commit("alpha moves to pro: a migration")
    planned = expect(repo.paybill("plan", "--base", "main", "--jobs", JOBS), 2)
    summary = (repo.root / "plan/summary.md").read_text()
    assert "- **alpha** (isolation): `pooled/eu-shared` → `bridge/eu-shared`" in summary, planned
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "alpha-to-bridge")
    applied = expect(repo.paybill("apply", "--plan", "plan", "--jobs", JOBS), 0)
    states = outcomes(applied.out)
    assert states["stack:tenant-alpha"] == "applied", applied.out
    journal = json.loads((Path(repo.env["PAYBILL_WORKDIR"]) / "journal.json").read_text())
    assert journal["nodes"]["migration:alpha/copy"]["outcome"] == "applied", journal
    assert rows_of(template, "tenant-alpha", tables) == before  # counted after: every row
    assert rows_of(template, "pool-eu-shared", tables) == before  # the old home kept
    bridge_to_silo(repo, template, tables, before)


def bridge_to_silo(
    repo: Repository, template: str, tables: list[TableState], before: dict[str, int]
) -> None:
    """alpha (bridge) moves to silo and retires its old home in the same pull request: the
    new stack tenant-alpha-2 is built beside the old one, the rows copied and counted, then
    the old stack torn down, its database's final snapshot kept. (A retirement in a later
    pull request, the old stack kept untouched until then, is test_migration_apply.py's.)"""
    rds = aws(repo, "rds")
    old_instance = next(
        i
        for i in rds.describe_db_instances()["DBInstances"]  # type: ignore[attr-defined]
        if i["DBInstanceIdentifier"].endswith("-tenant-alpha")
    )["DBInstanceIdentifier"]
    repo.git("checkout", "-q", "-b", "alpha-to-silo")
    repo.write("tenants/alpha.yaml", tenant("alpha", "enterprise", pool=None, extra=RETIRE))
    repo.commit("alpha moves to enterprise: a migration to a stack of its own, retired at once")
    planned = expect(repo.paybill("plan", "--base", "main", "--jobs", JOBS), 2)
    summary = (repo.root / "plan/summary.md").read_text()
    assert "`bridge/eu-shared` → `silo/aws/eu-central-1`" in summary, planned
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "alpha-to-silo")
    applied = expect(repo.paybill("apply", "--plan", "plan", "--jobs", JOBS), 0)
    assert outcomes(applied.out)["stack:tenant-alpha-2"] == "applied", applied.out
    journal = json.loads((Path(repo.env["PAYBILL_WORKDIR"]) / "journal.json").read_text())
    steps = {s: journal["nodes"][f"migration:alpha/{s}"] for s in ("copy", "retire")}
    assert steps["copy"]["outcome"] == "applied", steps
    assert steps["retire"]["message"].startswith("stack tenant-alpha: torn down ("), steps
    assert rows_of(template, "tenant-alpha-2", tables) == before  # every row in the new home
    left = {i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]}  # type: ignore[attr-defined]
    assert old_instance not in left, left
    snapshots = [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]]  # type: ignore[attr-defined]
    assert any(s.startswith(f"{old_instance}-final-") for s in snapshots), snapshots


TO_BRIDGE = "  migration: {from: pooled/eu-shared, to: bridge/eu-shared}\n"
RETIRE = (
    "  migration: {from: bridge/eu-shared, to: silo/aws/eu-central-1, retireOld: true}\n"
    "  stack: tenant-alpha-2\n"
)


def rows_of(template: str, target: str, tables: list[TableState]) -> dict[str, int]:
    """alpha's row count in each table of `target`'s database."""
    out = {}
    with psycopg.connect(template.replace("{target}", target), autocommit=True) as conn:
        for table in tables:
            query = sql.SQL("SELECT count(*) FROM {}.{} WHERE tenant_id = 'alpha'").format(
                sql.Identifier(table.schema), sql.Identifier(table.name)
            )
            found = conn.execute(query).fetchone()
            out[f"{table.schema}.{table.name}"] = int(found[0]) if found else -1
    return out
