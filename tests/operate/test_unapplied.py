"""Deferred stacks, with real terraform offline (terraform's built-in resources only).

A stack that reads an upstream stack which was never applied (a new platform, or a pool an
earlier change added and nobody applied) is deferred, not a failed plan; any other Terraform
failure still fails the plan. A stack whose upstream changes stays deferred when the
upstream's plan changes one of its outputs, and is planned now when it changes none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.operate.stacks import StackPlan, run_plans
from compiler.terraform import Terraform, TerraformError, Workspace
from tests.emit.stacks.terraform import terraform

pytestmark = [pytest.mark.terraform]

READER = {
    "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
    "data": {
        "terraform_remote_state": {
            "pool": {"backend": "local", "config": {"path": "../pool/terraform.tfstate"}}
        }
    },
    "resource": {
        "terraform_data": {"copy": {"input": "${data.terraform_remote_state.pool.outputs.value}"}}
    },
}


BACKEND = {"backend": {"local": {"path": "terraform.tfstate"}}}


def pool(value: str, size: str) -> bytes:
    """An upstream stack: `size` changes a resource, `value` changes its output too."""
    return json.dumps(
        {
            "terraform": BACKEND,
            "resource": {"terraform_data": {"value": {"input": value}, "size": {"input": size}}},
            "output": {"value": {"value": "${terraform_data.value.output}"}},
        }
    ).encode()


def plan(tmp_path: Path, document: dict[str, object]) -> StackPlan:
    terraform()  # skips locally, fails in CI, when the binary is missing
    config = json.dumps(document).encode()
    item = StackPlan("tenant", "added", reads=["pool"], reads_wave=3)
    run_plans(
        {"tenant": item},
        terraform=Terraform(),
        workspace=Workspace(tmp_path / "work", plugin_cache=tmp_path / "cache"),
        head=lambda path: config if path == "stacks/tenant/cdk.tf.json" else None,
        base=lambda path: None,
        override=None,
        plan_dir=tmp_path / "plan",
        jobs=1,
    )
    return item


def test_a_stack_whose_upstream_was_never_applied_is_deferred(tmp_path: Path) -> None:
    item = plan(tmp_path, READER)
    assert item.plan is None
    assert (item.deferred_after, item.because, item.waits_for) == (3, ["pool"], "not applied")


def test_any_other_terraform_failure_still_fails_the_plan(tmp_path: Path) -> None:
    broken = {**READER, "resource": {"terraform_data": {"copy": {"input": "${nothing.here}"}}}}
    with pytest.raises(TerraformError, match="nothing"):
        plan(tmp_path, {k: v for k, v in broken.items() if k != "data"})


def replan_after_pool_change(tmp_path: Path, value: str, size: str) -> StackPlan:
    """Apply the pool and the tenant, change the pool, plan both as a change set would."""
    terraform()
    runner = Terraform()
    workspace = Workspace(tmp_path / "work", plugin_cache=tmp_path / "cache")
    configs = {
        "stacks/pool/cdk.tf.json": pool("v1", "small"),
        "stacks/tenant/cdk.tf.json": json.dumps(READER).encode(),
    }
    for stack in ("pool", "tenant"):
        source = tmp_path / "incoming" / stack
        source.mkdir(parents=True)
        (source / "cdk.tf.json").write_bytes(configs[f"stacks/{stack}/cdk.tf.json"])
        copy = workspace.checkout(stack, source)
        runner.init(copy)
        runner.apply(copy, runner.plan(copy, out=tmp_path / f"{stack}.tfplan"))
    configs["stacks/pool/cdk.tf.json"] = pool(value, size)
    tenant = StackPlan("tenant", "downstream", deferred_after=0, because=["pool"])
    run_plans(
        {"pool": StackPlan("pool", "changed"), "tenant": tenant},
        terraform=runner,
        workspace=workspace,
        head=configs.get,
        base=lambda path: None,
        override=None,
        plan_dir=tmp_path / "plan",
        jobs=2,
    )
    return tenant


def test_a_pool_change_that_changes_its_outputs_keeps_its_tenants_deferred(
    tmp_path: Path,
) -> None:
    tenant = replan_after_pool_change(tmp_path, "v2", "small")
    assert tenant.plan is None
    assert (tenant.deferred_after, tenant.because, tenant.waits_for) == (0, ["pool"], "changes")


def test_a_pool_change_that_keeps_its_outputs_plans_its_tenants_now(tmp_path: Path) -> None:
    tenant = replan_after_pool_change(tmp_path, "v1", "large")
    assert tenant.deferred_after is None
    assert tenant.plan is not None
    assert tenant.plan.resources == ()
    # As plan.json shows it: a downstream stack, planned, changing nothing.
    shown = tenant.to_json()
    assert (shown["change"], shown["planned"], shown["addresses"]) == ("downstream", True, {})
