"""One stack of each kind of spec/ (a pool, a silo, a pooled and a bridge tenant), applied
for real on the local emulator through the runner, as an existing deployment lives them:

1. applied as paybill wrote them before modules (tests/data/stacks-before-modules.json.gz,
   spec/ as it was then): the pool and the silo side by side, then the pooled and the bridge
   tenant as soon as the pool is there; every first plan creates only;
2. planned as paybill writes them now (the same spec compiled today): Terraform moves every
   resource into the stack's module (the `moved` blocks of the root) and destroys, creates,
   replaces or updates nothing; applied, the moves leave a plan with no changes at all;
3. the resources are where the stacks say, the compiled output the working copies were
   checked out from is untouched, and a change made by hand through the emulator's API
   shows as drift (repairing it is applying that plan, as every apply here already shows).

One deployment serves all three: the stacks the upgrade leaves are today's stacks, applied,
so they are also what a new deployment would have (that one is applied from nothing by the
walk, tests/operate/test_walk.py, and by the workflows, tests/scaffold/). Five to eight
minutes: three of the four stacks have a database instance, which the AWS provider waits
on when it creates one.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compiler.emit.stacks.provider import LOCK_FILE, lock_file
from compiler.pipeline import compile_spec
from compiler.sandbox.emulator import Emulator
from compiler.terraform import OVERRIDE_NAME, Action, Plan, Terraform, TerraformError, Workspace
from tests.emit.stacks.conftest import write_files
from tests.emit.stacks.terraform import HOW_TO_GET, PLUGIN_CACHE, find_mirror, terraform
from tests.sandbox.conftest import client
from tests.support.emulator_stacks import KINDS, VARIABLES, Outcome, deploy_all, digests
from tests.support.tools import REPO, missing

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.slow]

BEFORE = REPO / "tests" / "data" / "stacks-before-modules.json.gz"
# A command that runs longer has hit an emulator gap (the provider waiting forever).
COMMAND_LIMIT = 900.0
POOL = KINDS["pool"]


@dataclass
class Deployment:
    tf: Terraform
    workspace: Workspace
    override: Path
    new: Path  # today's compile of the old spec: what the working copies are checked out from
    old: dict[str, Outcome]
    resources: dict[str, set[str]]  # each old stack's resource addresses
    new_before: dict[str, str]  # digests of `new` before anything was checked out of it
    moved: dict[str, Plan] = field(default_factory=dict)  # the plan of the new layout
    after: dict[str, Plan] = field(default_factory=dict)  # planned again once applied
    errors: dict[str, str] = field(default_factory=dict)


def old_layout(folder: Path, stacks: dict[str, dict[str, object]]) -> Path:
    """The old stacks as they were written (each with its lock file), with the records
    `deploy_all` orders them by."""
    for stack in KINDS.values():
        target = folder / "stacks" / stack
        target.mkdir(parents=True)
        (target / "cdk.tf.json").write_text(json.dumps(stacks[stack], indent=2))
        (target / LOCK_FILE).write_bytes(lock_file())
        record = folder / "nodes" / "stack" / f"{stack}.json"
        record.parent.mkdir(parents=True, exist_ok=True)
        depends = [] if stack in (POOL, KINDS["silo"]) else [f"stack:{POOL}"]
        record.write_text(json.dumps({"dependsOn": depends}))
    return folder


@pytest.fixture(scope="module")
def deployment(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    terraform()  # skips locally, fails in CI, when the binary is missing
    root = tmp_path_factory.mktemp("stacks-on-emulator")
    before = json.loads(gzip.decompress(BEFORE.read_bytes()))
    stacks = before["stacks"]["spec"]
    old = old_layout(root / "old", stacks)
    spec = write_files(root / "spec", before["specs"]["spec"])
    new = root / "new"
    compile_spec(spec, new)
    override = emulator.write_override(root / "emulator.tf.json")
    tf = Terraform(timeout=COMMAND_LIMIT)
    workspace = Workspace(root / "work", plugin_cache=PLUGIN_CACHE)
    outcomes = deploy_all(tf, workspace, KINDS.values(), override, 4, old, replan=False)
    if find_mirror() is None and any(
        "terraform init failed" in (o.error or "") for o in outcomes.values()
    ):
        missing(
            "the AWS provider 5.100.0 (no plugin mirror, and downloading it failed)", HOW_TO_GET
        )
    result = Deployment(
        tf,
        workspace,
        override,
        new,
        outcomes,
        {
            s: {f"{t}.{n}" for t, items in stacks[s]["resource"].items() for n in items}
            for s in KINDS.values()
        },
        dict(digests(new)),
    )
    for stack in sorted(KINDS.values(), key=lambda s: s != POOL):  # the pool first
        if outcomes[stack].error is not None:
            continue
        try:
            copy = workspace.checkout(stack, new / "stacks" / stack, override)
            tf.init(copy)
            result.moved[stack] = plan = tf.plan(copy, variables=VARIABLES)
            tf.apply(copy, plan)
            result.after[stack] = tf.plan(copy, variables=VARIABLES)
        except TerraformError as failed:
            result.errors[stack] = str(failed)
    return result


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_old_layout_applies(deployment: Deployment, kind: str) -> None:
    outcome = deployment.old[KINDS[kind]]
    assert outcome.error is None, outcome.error
    assert outcome.first is not None
    assert outcome.first.changed
    assert set(outcome.first.counts) == {Action.CREATE}


def upgraded(deployment: Deployment, kind: str) -> str:
    """The stack of this kind, which the new layout was planned and applied for."""
    stack = KINDS[kind]
    assert stack not in deployment.errors, deployment.errors.get(stack)
    return stack


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_new_layout_moves_every_resource_and_changes_nothing(
    deployment: Deployment, kind: str
) -> None:
    stack = upgraded(deployment, kind)
    plan = deployment.moved[stack]
    assert [(r.address, r.action) for r in plan.resources] == []
    assert {old for old, _ in plan.moved} == deployment.resources[stack]
    assert all(
        new == f"module.{'pool' if kind == 'pool' else 'tenant'}.{old}" for old, new in plan.moved
    )
    assert plan.outputs == ()  # what later steps read stays as it was


@pytest.mark.parametrize("kind", list(KINDS))
def test_once_the_moves_are_applied_nothing_is_left_to_do(
    deployment: Deployment, kind: str
) -> None:
    after = deployment.after[upgraded(deployment, kind)]
    assert (after.changed, after.resources, after.moved, after.drift) == (False, (), (), ())


def test_the_resources_are_in_the_emulator(deployment: Deployment, emulator: Emulator) -> None:
    rds = client(emulator, "rds", "eu-central-1")
    databases = {
        d["DBInstanceIdentifier"]: d["DbiResourceId"]
        for d in rds.describe_db_instances()["DBInstances"]
    }
    assert {"ledgerline-pool-eu-shared", "ledgerline-tenant-acme", "ledgerline-tenant-wayne"} <= (
        databases.keys()
    )
    assert len(set(databases.values())) == len(databases)
    pool = deployment.tf.output(deployment.workspace.copy(KINDS["pool"]))
    ecs = client(emulator, "ecs", "eu-central-1")
    services = ecs.list_services(cluster=pool["cluster_name"].value)["serviceArns"]
    assert [arn.rsplit("/", 1)[-1] for arn in services] == ["tenant-wayne"]
    pooled = deployment.tf.output(deployment.workspace.copy(KINDS["pooled"]))
    assert pooled["storage_prefix"].value == "tenants/initech/"


def test_the_compiled_output_is_untouched_and_holds_no_emulator_settings(
    deployment: Deployment,
) -> None:
    new = deployment.new
    assert deployment.moved  # working copies were checked out of it
    assert dict(digests(new)) == deployment.new_before
    assert not list(new.rglob(f"*{OVERRIDE_NAME}"))
    written = [p for folder in ("stacks", "modules") for p in (new / folder).rglob("*.json")]
    assert written
    assert "127.0.0.1" not in "".join(p.read_text() for p in written)


def test_a_change_made_by_hand_is_detected_as_drift(
    deployment: Deployment, emulator: Emulator
) -> None:
    tf, stack = deployment.tf, KINDS["pooled"]
    assert stack in deployment.after, deployment.errors.get(stack)
    everything = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    client(emulator, "iam", "eu-central-1").put_role_policy(
        RoleName="ledgerline-tenant-initech",
        PolicyName="tenant-data",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [everything]}),
    )
    copy = deployment.workspace.checkout(
        stack, deployment.new / "stacks" / stack, deployment.override
    )

    seen = tf.plan(copy, variables=VARIABLES, refresh_only=True, out=copy.path / "seen.tfplan")
    assert seen.changed
    policy = "module.tenant.aws_iam_role_policy.tenant_role_policy"
    assert policy in {r.address for r in seen.drift}

    drift = tf.plan(copy, variables=VARIABLES)
    assert drift.changed  # -detailed-exitcode 2
    # The plan corrects the drifted policy, so terraform reports it as that change.
    assert [(r.address, r.action) for r in drift.resources] == [(policy, Action.UPDATE)]
    assert not drift.destructive
