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
from compiler.records import Confirm, NodeRecord
from compiler.terraform import Terraform, Workspace
from tests.emit.stacks.terraform import terraform

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


# acme's record, confirming the loss of its store (as the spec names it).
CONFIRMED = NodeRecord(
    node="tenant:acme",
    kind="tenant",
    name="acme",
    depends_on=(),
    wave=0,
    input_digest="",
    artifacts=(),
    confirm=Confirm(destroy=("terraform_data.store",)),
)


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
    allowed = guard.destructive_items(losses, [], {"tenant:acme": CONFIRMED}, {})
    assert [d.confirmed for d in allowed] == [True]


# The same in the layout of modules: the stack's root calls its module, where the protected
# store is (`module.tenant.terraform_data.store`); the spec names it `terraform_data.store`.
MODULE = "aws-test-shape"


def root_config(version: str) -> bytes:
    call = {"source": f"../../modules/{MODULE}", "revision": version}
    moved = [
        {"from": f"terraform_data.{name}", "to": f"module.tenant.terraform_data.{name}"}
        for name in ("label", "store")
    ]
    return json.dumps({"terraform": BACKEND, "module": {"tenant": call}, "moved": moved}).encode()


def module_config(*, protect: bool = True) -> bytes:
    resources = {
        "store": {"triggers_replace": "${var.revision}", "lifecycle": {"prevent_destroy": protect}},
        "label": {"input": "x"},
    }
    variable = {"revision": {"type": "string"}}
    return json.dumps({"variable": variable, "resource": {"terraform_data": resources}}).encode()


def output(root: bytes, *, protect: bool = True) -> dict[str, bytes]:
    return {
        "stacks/tenant-acme/cdk.tf.json": root,
        f"modules/{MODULE}/cdk.tf.json": module_config(protect=protect),
    }


def applied(tmp_path: Path, files: dict[str, bytes]) -> tuple[Terraform, Workspace]:
    """A workspace where tenant-acme was applied from `files` (an output's)."""
    terraform()
    runner = Terraform()
    workspace = Workspace(tmp_path / "work", plugin_cache=tmp_path / "cache")
    for path, content in files.items():
        (tmp_path / "applied" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "applied" / path).write_bytes(content)
    copy = workspace.checkout("tenant-acme", tmp_path / "applied/stacks/tenant-acme")
    runner.init(copy)
    runner.apply(copy, runner.plan(copy, out=tmp_path / "first.tfplan"))
    return runner, workspace


def plan_in_modules(
    tmp_path: Path, before: dict[str, bytes], after: dict[str, bytes], change: str = "changed"
) -> StackPlan:
    runner, workspace = applied(tmp_path, before)
    item = StackPlan("tenant-acme", change)
    run_plans(
        {"tenant-acme": item},
        terraform=runner,
        workspace=workspace,
        head=after.get,
        base=before.get,
        override=None,
        plan_dir=tmp_path / "plan",
        jobs=1,
    )
    return item


def test_a_protected_replacement_in_a_module_is_shown_and_named_as_the_spec_does(
    tmp_path: Path,
) -> None:
    item = plan_in_modules(tmp_path, output(root_config("v1")), output(root_config("v2")))
    assert item.protected == ["module.tenant.terraform_data.store"]
    assert item.plan is not None
    actions = {r.address: r.action.value for r in item.plan.resources}
    assert actions == {"module.tenant.terraform_data.store": "replace"}
    assert item.to_json()["planFile"] is None
    losses = [guard.ResourceLoss(item.stack, a, item.loss(a)) for a in item.destructive]
    (refused,) = guard.destructive_items(losses, [], {}, {})
    assert (refused.what, refused.confirmation, refused.confirmed) == (
        "replace terraform_data.store in stack tenant-acme",
        "confirmDestroy: [terraform_data.store]",
        False,
    )
    allowed = guard.destructive_items(losses, [], {"tenant:acme": CONFIRMED}, {})
    assert [d.confirmed for d in allowed] == [True]
    # The lifted protection was the review copy's alone: the shared module keeps it.
    shared = tmp_path / "work" / "modules" / MODULE / "cdk.tf.json"
    assert json.loads(shared.read_bytes()) == json.loads(module_config())


def test_a_stack_of_the_old_layout_moves_into_its_module_and_changes_nothing(
    tmp_path: Path,
) -> None:
    before = {"stacks/tenant-acme/cdk.tf.json": config("v1")}
    item = plan_in_modules(tmp_path, before, output(root_config("v1")))
    assert item.plan is not None
    assert item.plan.resources == ()
    assert item.plan.moved == (
        ("terraform_data.label", "module.tenant.terraform_data.label"),
        ("terraform_data.store", "module.tenant.terraform_data.store"),
    )
    assert item.plan.changed  # the moves are written to the state when applied
    assert item.to_json()["moved"] == 2


def test_a_removed_stack_is_planned_for_destruction_from_the_bases_module(
    tmp_path: Path,
) -> None:
    """The base's module, the working copy's alone (the head has none, or another). (The
    lifting of its stores' protection is `protection.override`'s, by AWS type: tested in
    tests/operate/test_protection.py.)"""
    before = output(root_config("v1"), protect=False)
    item = plan_in_modules(tmp_path, before, {}, change="removed")
    assert item.plan is not None
    assert {r.address: r.action.value for r in item.plan.resources} == {
        "module.tenant.terraform_data.label": "delete",
        "module.tenant.terraform_data.store": "delete",
    }
    private = tmp_path / "work/stacks/tenant-acme/paybill-modules" / MODULE / "cdk.tf.json"
    assert private.read_bytes() == before[f"modules/{MODULE}/cdk.tf.json"]
