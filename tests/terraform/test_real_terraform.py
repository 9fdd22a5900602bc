"""The runner against the real binary, offline: stacks of terraform's built-in resources
(`terraform_data`, `terraform_remote_state`, `local-exec`), so no provider is needed.

Covers what the emulator tests cannot make happen on purpose: a stale saved plan, a state
lock held by another run, a command interrupted at its time limit.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from compiler.terraform import (
    Action,
    StalePlan,
    StateLocked,
    Terraform,
    TimedOut,
    WorkingCopy,
    Workspace,
)
from tests.emit.stacks.terraform import terraform

pytestmark = [pytest.mark.terraform]

BACKEND = {"backend": {"local": {"path": "terraform.tfstate"}}}


def write_stack(root: Path, name: str, document: dict[str, object]) -> Path:
    folder = root / "generated" / "stacks" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cdk.tf.json").write_text(json.dumps({"terraform": BACKEND, **document}))
    return folder


def base_stack(value: str, sleep: int = 0) -> dict[str, object]:
    resource: dict[str, object] = {"input": value}
    if sleep:
        resource["provisioner"] = [{"local-exec": {"command": f"sleep {sleep}"}}]
        resource["triggers_replace"] = [value]
    return {
        "resource": {"terraform_data": {"value": resource}},
        "output": {"value": {"value": "${terraform_data.value.output}"}},
    }


READER = {
    "data": {
        "terraform_remote_state": {
            "pool": {"backend": "local", "config": {"path": "../pool/terraform.tfstate"}}
        }
    },
    "resource": {
        "terraform_data": {"copy": {"input": "${data.terraform_remote_state.pool.outputs.value}"}}
    },
    "output": {"copied": {"value": "${terraform_data.copy.output}", "sensitive": True}},
}


@pytest.fixture(scope="module")
def tf() -> Terraform:
    terraform()  # skips locally, fails in CI, when the binary is missing
    return Terraform()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    terraform()  # skips locally, fails in CI, when the binary is missing
    return Workspace(tmp_path / "work", plugin_cache=tmp_path / "cache")


def checkout(workspace: Workspace, name: str, document: dict[str, object]) -> WorkingCopy:
    source = write_stack(workspace.root.parent, name, document)
    return workspace.checkout(name, source)


def test_plan_apply_replan_and_outputs_through_side_by_side_state(
    workspace: Workspace, tf: Terraform
) -> None:
    pool = checkout(workspace, "pool", base_stack("v1"))
    tf.init(pool)
    plan = tf.plan(pool)
    assert plan.changed
    assert plan.counts == {Action.CREATE: 1}
    assert plan.outputs == ("value",)
    tf.apply(pool, plan)
    assert pool.state_file.is_file()
    assert not tf.plan(pool).changed

    tenant = checkout(workspace, "tenant", READER)
    tf.init(tenant)
    tf.apply(tenant, tf.plan(tenant))
    copied = tf.output(tenant)["copied"]
    assert (copied.value, copied.sensitive) == ("v1", True)

    pool = checkout(workspace, "pool", base_stack("v2"))  # a new version of the stack
    plan = tf.plan(pool)
    assert [(r.address, r.action) for r in plan.resources] == [
        ("terraform_data.value", Action.UPDATE)
    ]
    assert not plan.destructive
    tf.apply(pool, plan)
    assert tf.output(pool)["value"].value == "v2"
    assert tf.plan(tenant).changed  # the tenant reads the pool's new output


def test_a_saved_plan_made_stale_by_another_apply_is_refused(
    workspace: Workspace, tf: Terraform, tmp_path: Path
) -> None:
    pool = checkout(workspace, "pool", base_stack("v1"))
    tf.init(pool)
    first = tf.plan(pool, out=tmp_path / "plans" / "first.tfplan")
    second = tf.plan(pool, out=tmp_path / "plans" / "second.tfplan")
    tf.apply(pool, second)
    with pytest.raises(StalePlan, match="Saved plan is stale"):
        tf.apply(pool, first)


def test_a_held_state_lock_fails_after_the_lock_timeout(
    workspace: Workspace, tf: Terraform
) -> None:
    pool = checkout(workspace, "pool", base_stack("v1", sleep=6))
    tf.init(pool)
    plan = tf.plan(pool)
    holder = threading.Thread(target=tf.apply, args=(pool, plan))
    holder.start()
    try:
        time.sleep(2.5)  # the apply has taken the lock and runs its 6 s command
        impatient = Terraform(tf.executor, lock_timeout=0)
        with pytest.raises(StateLocked, match="Error acquiring the state lock"):
            impatient.plan(pool, out=pool.path / "other.tfplan")
    finally:
        holder.join()
    assert not tf.plan(pool).changed


def test_a_command_past_its_time_limit_is_interrupted_and_releases_the_lock(
    workspace: Workspace, tf: Terraform
) -> None:
    pool = checkout(workspace, "pool", base_stack("v1", sleep=67))
    tf.init(pool)
    plan = tf.plan(pool)
    started = time.monotonic()
    with pytest.raises(TimedOut, match="interrupted after 2 s"):
        Terraform(tf.executor, timeout=2).apply(pool, plan)
    assert time.monotonic() - started < 45
    assert Terraform(tf.executor, lock_timeout=0).plan(pool).changed
    assert not _running("sleep 67"), "the provisioner's command was left running"


def _running(command: str) -> list[int]:
    wanted = command.replace(" ", "\0").encode() + b"\0"
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if entry.read_bytes() == wanted:
                found.append(int(entry.parent.name))
        except OSError:
            continue
    return found
