"""This repository's generated stacks, applied for real on the local emulator through the
runner: the pool, then (in parallel, as soon as the pool is there) a pooled and a bridge
tenant, with a silo tenant beside the pool. A second plan of each shows no changes, and a
change made by hand through the emulator's API shows as drift (repairing it is applying
that plan, as the apply of every stack here already shows).

Six to nine minutes: the AWS provider waits about a minute and a half for each database
instance, and this covers the three kinds that have one (pool, bridge, silo).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler.sandbox.emulator import Emulator
from compiler.terraform import OVERRIDE_NAME, Action, Terraform, Workspace
from tests.emit.stacks.terraform import HOW_TO_GET, PLUGIN_CACHE, find_mirror, terraform
from tests.sandbox.conftest import client
from tests.support.emulator_stacks import (
    GENERATED,
    KINDS,
    VARIABLES,
    Outcome,
    deploy_all,
    digests,
)
from tests.support.tools import missing

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.slow]

# A command that runs longer has hit an emulator gap (the provider waiting forever).
COMMAND_LIMIT = 900.0


@dataclass
class Deployment:
    tf: Terraform
    workspace: Workspace
    override: Path
    outcomes: dict[str, Outcome]
    generated_before: dict[str, str]


@pytest.fixture(scope="module")
def deployment(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    terraform()  # skips locally, fails in CI, when the binary is missing
    root = tmp_path_factory.mktemp("stacks-on-emulator")
    override = emulator.write_override(root / "emulator.tf.json")
    tf = Terraform(timeout=COMMAND_LIMIT)
    workspace = Workspace(root / "work", plugin_cache=PLUGIN_CACHE)
    before = dict(digests(GENERATED))
    outcomes = deploy_all(tf, workspace, KINDS.values(), override, jobs=4)
    if find_mirror() is None and any(
        "terraform init failed" in (o.error or "") for o in outcomes.values()
    ):
        missing(
            "the AWS provider 5.100.0 (no plugin mirror, and downloading it failed)", HOW_TO_GET
        )
    return Deployment(tf, workspace, override, outcomes, before)


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_stack_applies_on_the_emulator(deployment: Deployment, kind: str) -> None:
    outcome = deployment.outcomes[KINDS[kind]]
    assert outcome.error is None, outcome.error
    assert outcome.first is not None
    assert outcome.first.changed
    assert set(outcome.first.counts) == {Action.CREATE}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_second_plan_shows_no_changes(deployment: Deployment, kind: str) -> None:
    outcome = deployment.outcomes[KINDS[kind]]
    assert outcome.second is not None, outcome.error
    assert [(r.address, r.action) for r in outcome.second.resources] == []
    assert outcome.second.drift == ()
    assert not outcome.second.changed  # -detailed-exitcode 0


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


def test_generated_is_untouched_and_holds_no_emulator_settings(deployment: Deployment) -> None:
    assert dict(digests(GENERATED)) == deployment.generated_before
    assert not list(GENERATED.rglob(f"*{OVERRIDE_NAME}"))
    written = [p for folder in ("stacks", "modules") for p in (GENERATED / folder).rglob("*.json")]
    assert written
    assert "127.0.0.1" not in "".join(p.read_text() for p in written)


def test_a_change_made_by_hand_is_detected_as_drift(
    deployment: Deployment, emulator: Emulator
) -> None:
    tf, stack = deployment.tf, KINDS["pooled"]
    assert deployment.outcomes[stack].second is not None, deployment.outcomes[stack].error
    everything = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    client(emulator, "iam", "eu-central-1").put_role_policy(
        RoleName="ledgerline-tenant-initech",
        PolicyName="tenant-data",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [everything]}),
    )
    copy = deployment.workspace.checkout(stack, GENERATED / "stacks" / stack, deployment.override)

    seen = tf.plan(copy, variables=VARIABLES, refresh_only=True, out=copy.path / "seen.tfplan")
    assert seen.changed
    policy = "module.tenant.aws_iam_role_policy.tenant_role_policy"
    assert policy in {r.address for r in seen.drift}

    drift = tf.plan(copy, variables=VARIABLES)
    assert drift.changed  # -detailed-exitcode 2
    # The plan corrects the drifted policy, so terraform reports it as that change.
    assert [(r.address, r.action) for r in drift.resources] == [(policy, Action.UPDATE)]
    assert not drift.destructive
