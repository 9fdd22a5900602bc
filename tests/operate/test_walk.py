"""The whole loop, for real: a platform repository on a local AWS emulator and PostgreSQL.

The suite's end-to-end walk, in the order a platform team lives it:
1. the first deployment: plan, then apply in waves — with a database unreachable in wave 1,
   which stops the apply there (exit 4); `--resume` finishes only what is left;
2. a pull request adds a tenant and moves another to a cheaper plan: plan (exactly those
   stacks), apply the reviewed plan, a second plan is empty;
3. drift made by hand — a resource changed through the emulator's API, a grant and a
   membership added in PostgreSQL — is reported (exit 2), and nothing else is; apply
   repairs it, and drift then finds nothing.

Its sequel, a tenant's moves between homes (pooled -> bridge -> silo, the old home retired),
is tests/operate/test_walk_migrations.py: a platform and a sandbox of its own, so the two
run side by side, each on a worker of its own.

The platform is a pool with a pooled and a silo tenant: two database instances, side by
side in wave 0, so the walk waits for the AWS provider's database waits once. Each other
behaviour is tested on its own, on a small stack: a bridge tenant applied through the
workflows (tests/scaffold/test_workflows_sandbox.py) and the runner
(tests/sandbox/test_stacks.py); destructive changes refused until confirmed
(tests/operate/test_destructive_plan.py, test_protected_plan.py); a pool change that keeps
its outputs (test_unapplied.py); a deleted tenant torn down and onboarded again
(tests/operate/test_teardown.py). Four to eight minutes, by the load of the machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.operate.repo import TENANTS, Repository, tenant
from tests.operate.sandboxed import JOBS, aws, dsn_template, expect, outcomes, sandboxed

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.postgres, pytest.mark.slow]
# A pool, a pooled and a silo tenant (no bridge tenant: its stack waits for the pool's).
WALK_TENANTS = {name: TENANTS[name] for name in ("alpha", "charlie")}
PUBLIC_SELECT = 'PUBLIC has SELECT on "billing"."invoices"'


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    with sandboxed(tmp_path_factory.mktemp("walk"), WALK_TENANTS) as repository:
        yield repository


def test_the_platform_lives_through_plan_apply_and_drift(repo: Repository) -> None:
    first_deployment(repo)
    pull_request(repo)
    drift_by_hand(repo)


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
    with psycopg.connect(
        dsn_template(repo).replace("{target}", "pool-eu-shared"), autocommit=True
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
