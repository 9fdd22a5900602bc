"""The scaffolded pull-request and merge workflows, run step by step as GitHub would
(tests/support/actions.py), with the real paybill against the sandbox's emulator and
PostgreSQL (`paybill sandbox up`): the sandbox's environment stands in for the credentials
the OIDC step would give; the comment, the artifacts and the role asked for are recorded.

The story of the README's "Use it in your repository": `paybill init`, the first push to
main deploys everything wave by wave; a pull request onboards a tenant (its plan is the
comment), then also renames the platform's database, which replaces the pool's database
instance (refused: the check fails with the list), then drops the rename again — one
comment, edited in place on every push; merging applies exactly the new tenant's nodes,
one leg per changed stack, and moves the `paybill-applied` tag.

The repository keeps its Terraform state with the local backend (the spec's commented
alternative) in the sandbox's working folder, which every "runner" here shares as the cloud
account: the sandbox does not emulate an s3 backend. About ten minutes, nearly all of it the
AWS provider's waits for the two database instances.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from compiler.cli import main
from compiler.errors import EnvironmentProblem
from compiler.operate.summary import MARKER
from compiler.sandbox.emulator import HOW_TO_INSTALL, require_moto
from compiler.sandbox.postgres import find_bin_dir
from tests.emit.stacks.terraform import terraform
from tests.support.actions import Event, Run, Runner
from tests.support.tools import missing, require_binary

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.terraform, pytest.mark.postgres]

PLAN = ".github/workflows/paybill-plan.yml"
APPLY = ".github/workflows/paybill-apply.yml"
IDENTITY = ["-c", "user.name=Platform Team", "-c", "user.email=platform@example.com"]
ROLES = {
    "AWS_REGION": "eu-central-1",
    "PAYBILL_PLAN_ROLE_ARN": "arn:aws:iam::111122223333:role/paybill-plan",
    "PAYBILL_APPLY_ROLE_ARN": "arn:aws:iam::111122223333:role/paybill-apply",
}
DATABASES = "databases, roles and ACLs"
INITECH = """\
# yaml-language-server: $schema=../../schemas/document.schema.json
apiVersion: paybill.dev/v1
kind: Tenant
metadata:
  name: initech
spec:
  displayName: Initech
  plan: starter
  region: eu-central-1
  pool: shared
  state: active
  subscription: {status: trialing}
  contacts: [{email: it@initech.example}]
"""


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *IDENTITY, *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit(folder: Path, message: str) -> str:
    assert main(["compile", str(folder / "spec"), "--out", str(folder / "generated")]) == 0
    git(folder, "add", "-A")
    git(folder, "commit", "--quiet", "-m", message)
    return git(folder, "rev-parse", "HEAD")


@dataclass
class Platform:
    """The scaffolded repository (a working clone), its origin, the runner and the sandbox."""

    clone: Path
    origin: Path
    runner: Runner
    sandbox: dict[str, str]
    commits: dict[str, str]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, str]]:
    terraform()
    require_binary("jq", "run `make tools` (apt-get install jq)")
    try:
        require_moto()
    except EnvironmentProblem:
        missing("moto's server (the local AWS emulator)", HOW_TO_INSTALL)
    if find_bin_dir() is None:
        missing("PostgreSQL server binaries", "run `make tools`")
    # Outside pytest's private temporary folders: PostgreSQL runs as its own user there.
    folder = Path(tempfile.mkdtemp(prefix="paybill-sandbox-"))
    folder.chmod(0o711)
    assert main(["sandbox", "up", str(folder)]) == 0
    try:
        env = {}
        for line in (folder / "sandbox.env").read_text().splitlines():
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                env[name] = shlex.split(value)[0]
        yield env
    finally:
        main(["sandbox", "down", str(folder)])
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def platform(
    scaffolded: Path, sandbox: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Platform:
    root = tmp_path_factory.mktemp("github")
    clone = root / "platform"
    shutil.copytree(scaffolded, clone)
    spec = clone / "spec" / "platform.yaml"
    text = spec.read_text()
    text = re.sub(r"  stateBackend:\n(    .*\n)+", "", text)
    spec.write_text(
        text.replace("  # stateBackend: {type: local}", "  stateBackend: {type: local}")
    )
    origin = root / "origin.git"
    subprocess.run(
        ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(origin)], check=True
    )
    git(clone, "init", "--quiet", "--initial-branch=main")
    git(clone, "remote", "add", "origin", str(origin))
    first = commit(clone, "Platform")
    git(clone, "push", "--quiet", "origin", "main")
    runner = Runner(
        origin,
        root / "actions",
        variables={
            **ROLES,
            "PAYBILL_APP_IMAGE": sandbox["TF_VAR_app_image"],
            "PAYBILL_API_BACKEND_URL": sandbox["TF_VAR_api_backend_url"],
        },
        credentials=sandbox,
    )
    return Platform(clone, origin, runner, sandbox, {"first": first})


def push(sha: str, before: str) -> Event:
    return Event("push", sha, "refs/heads/main", {"before": before, "after": sha})


def pull_request(platform: Platform, sha: str) -> Event:
    payload = {"number": 12, "pull_request": {"number": 12, "head": {"sha": sha}}}
    return Event("pull_request", sha, "refs/pull/12/merge", payload, "main", "onboard-initech")


def legs(run: Run) -> dict[str, list[tuple[str, str]]]:
    outputs = run.job("waves").outputs
    return {
        key: [(leg["name"], leg["nodes"]) for leg in json.loads(value)]
        for key, value in outputs.items()
        if key != "base"
    }


def applied(run: Run) -> dict[str, str]:
    """Every node of every journal the run kept: its outcome."""
    out = {}
    for name, folder in run.artifacts.items():
        if name.startswith("paybill-journal-"):
            nodes = json.loads((folder / "journal.json").read_text())["nodes"]
            out.update({node: entry["outcome"] for node, entry in nodes.items()})
    return out


def succeeded(run: Run) -> None:
    """Fail with the logs of every failed job."""
    if run.failures():
        pytest.fail(run.failures(), pytrace=False)


def tag(platform: Platform) -> str:
    return git(platform.origin, "rev-parse", "paybill-applied^{commit}")


# -- the first push to main deploys everything --------------------------------------------


@pytest.fixture(scope="module")
def first_deployment(platform: Platform) -> Run:
    return platform.runner.run(APPLY, push(platform.commits["first"], "0" * 40))


def test_the_first_push_applies_every_wave(first_deployment: Run, platform: Platform) -> None:
    run = first_deployment
    succeeded(run)
    assert run.job("waves").outputs["base"] == ""
    assert legs(run) == {
        # The shared SQL runtime is in the databases leg: no database of its own, it is
        # applied by each SQL target after it (its journal entry says so). The modules
        # (`module:<shape>`) have no leg: they apply through their stacks.
        "wave0": [
            ("pool-shared", "stack:pool-shared"),
            (DATABASES, "cedar:platform runtime:sql"),
        ],
        "wave1": [
            ("tenant-acme", "stack:tenant-acme"),
            ("tenant-globex", "stack:tenant-globex"),
            (DATABASES, "sql:pool-shared"),
        ],
        "wave2": [(DATABASES, "sql:tenant-acme tenant:globex")],
        "wave3": [(DATABASES, "acl:globex tenant:acme")],
        "wave4": [(DATABASES, "acl:acme")],
        "wave5": [],
        "removed": [],
    }
    results = {job.job: job.result for job in run.jobs}
    assert results["wave5"] == results["teardown"] == "skipped"
    assert results["wave1/apply (tenant-acme)"] == "success"
    assert results["applied"] == "success"
    assert set(applied(run).values()) == {"applied"}
    assert len(applied(run)) == 11
    assert tag(platform) == platform.commits["first"]


def test_each_leg_asked_for_the_apply_role(first_deployment: Run) -> None:
    roles = {
        r.inputs["role-to-assume"]
        for r in first_deployment.recorded
        if r.action == "aws-actions/configure-aws-credentials"
    }
    assert roles == {ROLES["PAYBILL_APPLY_ROLE_ARN"]}


# -- a pull request: planned, refused, planned again; one comment ----------------------------


@dataclass
class PullRequest:
    onboard: Run  # the first push: the new tenant
    rename: Run  # the second: and the platform's database renamed (replaces the pool's)
    final: Run  # the third: the rename dropped again


@pytest.fixture(scope="module")
def pull_request_runs(platform: Platform, first_deployment: Run) -> PullRequest:
    succeeded(first_deployment)
    clone = platform.clone

    def push(message: str) -> Run:
        sha = commit(clone, message)
        git(clone, "push", "--quiet", "origin", "onboard-initech")
        return platform.runner.run(PLAN, pull_request(platform, sha))

    git(clone, "switch", "--quiet", "-c", "onboard-initech")
    (clone / "spec" / "tenants" / "initech.yaml").write_text(INITECH)
    onboard = push("Onboard Initech")
    platform_file = clone / "spec" / "platform.yaml"
    original = platform_file.read_text()
    platform_file.write_text(original.replace("{name: app,", "{name: billing,"))
    rename = push("Rename the database")
    platform_file.write_text(original)
    final = push("Keep the database's name")
    platform.commits["pr"] = git(clone, "rev-parse", "HEAD")
    return PullRequest(onboard, rename, final)


def test_the_pull_request_has_one_comment_edited_on_each_push(
    platform: Platform, pull_request_runs: PullRequest
) -> None:
    succeeded(pull_request_runs.onboard)
    succeeded(pull_request_runs.final)
    comments = platform.runner.github()["comments"]
    assert len(comments) == 1
    body = comments[0]["body"]
    assert body.startswith(f"{MARKER}\n## Paybill plan: ")
    kept = pull_request_runs.final.artifacts["paybill-plan-pr12-1"]
    assert body == (kept / "summary.md").read_text()
    assert "initech" in body
    plan = json.loads((kept / "plan.json").read_text())
    assert plan["stacks"]["tenant-initech"]["create"] > 0
    assert plan["refused"] is False
    calls = [c["method"] for c in platform.runner.github()["calls"]]
    assert calls[:2] == ["GET", "POST"]
    assert calls.count("POST") == 1
    assert calls[-2:] == ["GET", "PATCH"]


def test_a_plan_that_replaces_a_database_fails_the_check_with_the_list(
    platform: Platform, pull_request_runs: PullRequest
) -> None:
    job = pull_request_runs.rename.job("plan")
    assert job.result == "failure"
    plan_step = next(s for s in job.steps if s.name == "Plan")
    last = job.steps[-1]
    assert last.outcome == "failure", plan_step.log
    errors = [line for line in last.log.splitlines() if line.startswith("::error")]
    assert any(
        "aws_db_instance.database" in e and "pool-shared" in e and "confirmDestroy" in e
        for e in errors
    ), errors
    bodies = [
        c["fields"]["body"] for c in platform.runner.github()["calls"] if "body" in c["fields"]
    ]
    assert any("REFUSED" in body for body in bodies)


# -- merging applies exactly the new tenant --------------------------------------------------


@pytest.fixture(scope="module")
def merge(platform: Platform, pull_request_runs: PullRequest) -> Run:
    clone = platform.clone
    git(clone, "switch", "--quiet", "main")
    before = git(clone, "rev-parse", "HEAD")
    git(clone, "merge", "--quiet", "--no-ff", "-m", "Merge onboard-initech", "onboard-initech")
    platform.commits["merge"] = git(clone, "rev-parse", "HEAD")
    git(clone, "push", "--quiet", "origin", "main")
    return platform.runner.run(APPLY, push(platform.commits["merge"], before))


def test_the_merge_applies_the_new_tenant_wave_by_wave(merge: Run, platform: Platform) -> None:
    succeeded(merge)
    assert merge.job("waves").outputs["base"] == platform.commits["first"]
    assert legs(merge) == {
        "wave0": [],
        "wave1": [("tenant-initech", "stack:tenant-initech")],
        "wave2": [(DATABASES, "tenant:initech")],
        "wave3": [(DATABASES, "acl:initech")],
        "wave4": [],
        "wave5": [],
        "removed": [],
    }
    assert applied(merge) == {
        "stack:tenant-initech": "applied",
        "tenant:initech": "applied",
        "acl:initech": "applied",
    }
    assert tag(platform) == platform.commits["merge"]


def test_the_new_tenant_is_in_the_cloud_the_database_and_the_acl_files(
    merge: Run, platform: Platform
) -> None:
    succeeded(merge)
    state = Path(platform.sandbox["PAYBILL_WORKDIR"]) / "stacks" / "tenant-initech"
    resources: list[dict[str, Any]] = json.loads((state / "terraform.tfstate").read_text())[
        "resources"
    ]
    assert {"aws_iam_role", "aws_api_gateway_usage_plan"} <= {r["type"] for r in resources}
    acl = Path(platform.sandbox["PAYBILL_ACL_DIR"])
    assert (acl / "initech.json").is_file()
    template = Path(platform.sandbox["PAYBILL_DSN_FILE"]).read_text().split("*=", 1)[1].strip()
    with psycopg.connect(template.replace("{target}", "pool-shared")) as conn:
        roles = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles")}
    assert {"app_initech", "app_globex", "agent_initech_collections"} <= roles
