"""The whole loop, for real: a platform repository on a local AWS emulator and PostgreSQL.

One walk, in the order a platform team lives it:
1. the first deployment: plan, then apply in waves — with a database unreachable in wave 2,
   which stops the apply there (exit 4); `--resume` finishes only what is left;
2. a pull request adds a tenant and moves another to a cheaper plan: plan (exactly those
   stacks), apply the reviewed plan, a second plan is empty, nothing drifted;
3. drift made by hand — a resource changed through the emulator's API, a grant and a
   membership added in PostgreSQL — is reported (exit 2) and repaired by apply;
4. changes that destroy data are refused until the spec confirms them (a silo tenant moved
   to a bridge plan destroys its log bucket) and a pool change that keeps its outputs plans
   its tenants' stacks at once;
5. a tenant is offboarded, deleted (its database's final snapshot kept, its key kept) and
   onboarded again under the same name.

About twenty minutes, most of it the AWS provider waiting for database instances.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg
import pytest

from compiler.errors import EnvironmentProblem
from compiler.sandbox.emulator import HOW_TO_INSTALL, require_moto
from compiler.sandbox.postgres import HOW_TO_INSTALL as HOW
from compiler.sandbox.postgres import find_bin_dir
from tests.emit.stacks.terraform import terraform
from tests.operate.repo import Repository, Run, tenant
from tests.support.tools import missing

pytestmark = [pytest.mark.terraform, pytest.mark.postgres, pytest.mark.slow]
JOBS = "4"


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
    repository = Repository.create(root / "platform")
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
    destructive_changes(repo)
    offboarding(repo)


def first_deployment(repo: Repository) -> None:
    """Plan and apply everything; tenant-bravo's database is unreachable in wave 2."""
    first = repo.paybill("plan", "--jobs", JOBS)
    assert first.code == 2, first.out + first.err
    assert (
        "**charlie** added: plan enterprise (silo), active"
        in (repo.root / "plan/summary.md").read_text()
    )
    broken = "tenant-bravo=host=127.0.0.1 port=1 user=postgres dbname=nothing connect_timeout=2"
    partial = repo.paybill("apply", "--plan", "plan", "--jobs", JOBS, "--dsn", broken)
    assert partial.code == 4, partial.out + partial.err
    states = outcomes(partial.out)
    assert states["sql:tenant-bravo"] == "failed", partial.out + partial.err
    assert {
        states[n] for n in ("stack:pool-eu-shared", "stack:tenant-bravo", "sql:pool-eu-shared")
    } == {"applied"}
    assert states["acl:alpha"] == "not started"
    assert "wave 2 failed: no further wave started" in partial.out
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
    clean = repo.paybill("drift", "--jobs", JOBS)
    assert clean.code == 0, clean.out + clean.err


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
    assert any(
        line.startswith("  stack tenant-charlie: ") and "aws_kms_key.key" in line
        for line in drifted.out.splitlines()
    ), drifted.out
    assert (
        'pool-eu-shared: PUBLIC has SELECT on "billing"."invoices", which the spec does not grant'
        in drifted.out
    )
    assert (
        'pool-eu-shared: role "login_alpha" is a member of the owner role "paybill_owner"'
        in drifted.out
    )
    repaired = repo.paybill("apply", "--jobs", JOBS)
    assert repaired.code == 0, repaired.out + repaired.err
    expect(repo.paybill("drift", "--jobs", JOBS), 0)


def destructive_changes(repo: Repository) -> None:
    """Destroying data needs the spec's word; a pool change defers its tenants' stacks."""
    repo.git("checkout", "-q", "-b", "charlie-to-bridge")
    repo.write("tenants/charlie.yaml", tenant("charlie", "pro"))
    repo.commit("charlie to the pro plan")
    refused = repo.paybill("plan", "--base", "main", "--jobs", JOBS)
    assert refused.code == 1, refused.out + refused.err
    # A silo tenant has its own log bucket; a bridge tenant logs to the pool's.
    assert (
        "refused: delete aws_s3_bucket.log_bucket in stack tenant-charlie; add to "
        "Tenant/charlie spec: confirmDestroy: [aws_s3_bucket.log_bucket]"
    ) in refused.out
    items = repo.plan_json()["destructive"]
    assert items, refused.out
    assert all(i["confirmIn"] == "Tenant/charlie spec" for i in items), items
    assert not any(i["confirmed"] for i in items), items
    addresses = sorted(i["confirmation"].split("[")[1].rstrip("]") for i in items)
    repo.write(
        "tenants/charlie.yaml",
        tenant("charlie", "pro", extra=f"  confirmDestroy: [{', '.join(addresses)}]\n"),
    )
    repo.commit("confirmed: what charlie's move destroys")
    allowed = repo.paybill("plan", "--base", "main", "--jobs", JOBS)
    assert allowed.code == 2, allowed.out + allowed.err
    confirmed = repo.plan_json()["destructive"]
    assert [i["what"] for i in confirmed] == [i["what"] for i in items], confirmed
    assert all(i["confirmed"] for i in confirmed), confirmed
    repo.git("checkout", "-q", "main")
    repo.git("checkout", "-q", "-b", "bigger-pool")
    repo.edit("platform.yaml", "storageGb: 20", "storageGb: 40")
    repo.commit("a bigger pool database")
    pool = repo.paybill("plan", "--base", "main", "--jobs", JOBS)
    assert pool.code == 2, pool.out + pool.err
    # A bigger disk changes none of the pool's outputs: its tenants' stacks, which read
    # them, are planned now and change nothing (tests/operate/test_unapplied.py shows a
    # pool change that does change an output keeping them deferred).
    planned = repo.plan_json()
    assert planned["deferred"] == [], planned["deferred"]
    stacks = planned["stacks"]
    assert stacks["pool-eu-shared"]["update"] >= 1, stacks["pool-eu-shared"]
    tenants = {s: d for s, d in stacks.items() if s.startswith("tenant-")}
    assert set(tenants) == {"tenant-alpha", "tenant-bravo", "tenant-delta"}, tenants
    assert all(d["change"] == "downstream" and not d["addresses"] for d in tenants.values())
    repo.git("checkout", "-q", "main")


def offboarding(repo: Repository) -> None:
    """Offboard bravo, delete it, and onboard it again under the same name."""
    repo.write(
        "tenants/bravo.yaml", tenant("bravo", "pro", state="offboarding", subscription="canceled")
    )
    repo.commit("offboard bravo")
    expect(repo.paybill("apply", "--base", "HEAD~1", "--jobs", JOBS), 0)
    repo.write(
        "tenants/bravo.yaml",
        tenant(
            "bravo",
            "pro",
            state="deleted",
            subscription="canceled",
            extra="  confirmDataDeletion: bravo\n",
        ),
    )
    repo.commit("delete bravo")
    deleted = repo.paybill("apply", "--base", "HEAD~1", "--jobs", JOBS)
    assert deleted.code == 0, deleted.out + deleted.err
    assert "stack:tenant-bravo: applied: torn down" in deleted.out
    rds = aws(repo, "rds")
    snapshots = [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]]  # type: ignore[attr-defined]
    assert any(s.startswith("walkthrough-tenant-bravo-final-") for s in snapshots), snapshots
    (repo.root / "spec/tenants/bravo.yaml").unlink()
    repo.commit("bravo's document goes")
    expect(repo.paybill("apply", "--base", "HEAD~1", "--jobs", JOBS), 0)
    repo.write("tenants/bravo.yaml", tenant("bravo", "pro"))
    repo.commit("bravo is back")
    back = repo.paybill("apply", "--base", "HEAD~1", "--jobs", JOBS)
    assert back.code == 0, back.out + back.err
    instances = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]  # type: ignore[attr-defined]
    assert "walkthrough-tenant-bravo" in instances
    expect(repo.paybill("drift", "--jobs", JOBS), 0)
