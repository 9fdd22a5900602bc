"""A change that would destroy or replace a resource with `prevent_destroy`, with real
terraform offline (terraform's built-in resources only).

Terraform itself stops such a plan ("Instance cannot be destroyed"). The plan must not stop
there with terraform's error: it names each protected address, shows the plan with only that
protection lifted (so the reviewer sees replace or delete, and everything else the stack
does), keeps no plan file that could be applied, and the guard refuses the loss until the
spec confirms it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.operate import guard
from compiler.operate.stacks import StackPlan, run_plans
from compiler.records import Confirm
from compiler.terraform import Terraform, Workspace
from tests.emit.stacks.terraform import terraform
from tests.operate.repo import tenant_record

pytestmark = [pytest.mark.terraform]

BACKEND = {"backend": {"local": {"path": "terraform.tfstate"}}}


def config(version: str, *, keep_other: bool = True) -> bytes:
    """A stack with a protected store (replaced when `version` changes) and a plain resource."""
    resources: dict[str, object] = {
        "store": {"triggers_replace": version, "lifecycle": {"prevent_destroy": True}}
    }
    if keep_other:
        resources["label"] = {"input": "x"}
    return json.dumps({"terraform": BACKEND, "resource": {"terraform_data": resources}}).encode()


def plan_change(tmp_path: Path, head: bytes) -> tuple[StackPlan, Path]:
    """Apply version v1 of stack tenant-acme, then plan `head` as `paybill plan` does."""
    terraform()  # skips locally, fails in CI, when the binary is missing
    runner = Terraform()
    workspace = Workspace(tmp_path / "work", plugin_cache=tmp_path / "cache")
    source = tmp_path / "incoming" / "tenant-acme"
    source.mkdir(parents=True)
    (source / "cdk.tf.json").write_bytes(config("v1"))
    copy = workspace.checkout("tenant-acme", source)
    runner.init(copy)
    runner.apply(copy, runner.plan(copy, out=tmp_path / "first.tfplan"))
    item = StackPlan("tenant-acme", "changed")
    plan_dir = tmp_path / "plan"
    run_plans(
        {"tenant-acme": item},
        terraform=runner,
        workspace=workspace,
        head=lambda path: head if path == "stacks/tenant-acme/cdk.tf.json" else None,
        base=lambda path: None,
        override=None,
        plan_dir=plan_dir,
        jobs=1,
    )
    return item, plan_dir


def test_a_protected_replacement_is_shown_and_not_saved(tmp_path: Path) -> None:
    item, plan_dir = plan_change(tmp_path, config("v2"))
    assert item.protected == ["terraform_data.store"]
    assert item.plan is not None
    actions = {r.address: r.action.value for r in item.plan.resources}
    assert actions == {"terraform_data.store": "replace"}
    assert item.destructive == ["terraform_data.store"]
    assert item.loss("terraform_data.store") == "replace"
    data = item.to_json()
    assert (data["replace"], data["planFile"]) == (1, None)
    assert not (plan_dir / "stacks" / "tenant-acme" / "plan.tfplan").exists()


def test_a_protected_deletion_is_named_a_delete(tmp_path: Path) -> None:
    head = json.dumps(
        {"terraform": BACKEND, "resource": {"terraform_data": {"label": {"input": "x"}}}}
    ).encode()
    item, _ = plan_change(tmp_path, head)
    # The resource left the configuration, and its prevent_destroy with it: terraform
    # deletes it without asking, so it is found like any other planned delete.
    assert item.protected == []
    assert item.plan is not None
    assert {r.address: r.action.value for r in item.plan.resources} == {
        "terraform_data.store": "delete"
    }


def test_the_guard_refuses_the_protected_loss_until_confirmed(tmp_path: Path) -> None:
    item, _ = plan_change(tmp_path, config("v2"))
    losses = [guard.ResourceLoss(item.stack, a, item.loss(a)) for a in item.destructive]
    refused = guard.destructive_items(losses, [], {}, {})
    assert [(d.confirmation, d.confirmed) for d in refused] == [
        ("confirmDestroy: [terraform_data.store]", False)
    ]
    assert refused[0].what == "replace terraform_data.store in stack tenant-acme"
    confirmed = tenant_record("acme", Confirm(destroy=("terraform_data.store",)))
    allowed = guard.destructive_items(losses, [], {"tenant:acme": confirmed}, {})
    assert [d.confirmed for d in allowed] == [True]
