"""Stacks applied as paybill wrote them before modules, then planned as it writes them now,
on the local emulator: Terraform moves every resource into the stack's module (the `moved`
blocks of the root) and destroys, creates, replaces or updates nothing. Applied, the moves
leave a plan with no changes at all.

The old stacks are those of tests/data/stacks-before-modules.json.gz (spec/ as it was
compiled before modules), one of each kind; the new ones are compiled now from the same
spec. Five to eight minutes: three of the four stacks have a database instance, which the
AWS provider waits on when it creates one.
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
from compiler.terraform import Action, Plan, Terraform, TerraformError, Workspace
from tests.emit.stacks.conftest import write_files
from tests.emit.stacks.terraform import PLUGIN_CACHE, terraform
from tests.support.emulator_stacks import KINDS, VARIABLES, Outcome, deploy_all
from tests.support.tools import REPO

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.slow]

BEFORE = REPO / "tests" / "data" / "stacks-before-modules.json.gz"
COMMAND_LIMIT = 900.0
POOL = KINDS["pool"]


@dataclass
class Upgrade:
    old: dict[str, Outcome]
    resources: dict[str, set[str]]  # each old stack's resource addresses
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
def upgrade(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Upgrade:
    terraform()  # skips locally, fails in CI, when the binary is missing
    root = tmp_path_factory.mktemp("upgrade")
    before = json.loads(gzip.decompress(BEFORE.read_bytes()))
    stacks = before["stacks"]["spec"]
    old = old_layout(root / "old", stacks)
    spec = write_files(root / "spec", before["specs"]["spec"])
    compile_spec(spec, root / "new")
    override = emulator.write_override(root / "emulator.tf.json")
    tf = Terraform(timeout=COMMAND_LIMIT)
    workspace = Workspace(root / "work", plugin_cache=PLUGIN_CACHE)
    outcomes = deploy_all(tf, workspace, KINDS.values(), override, 4, old, replan=False)
    result = Upgrade(
        outcomes,
        {
            s: {f"{t}.{n}" for t, items in stacks[s]["resource"].items() for n in items}
            for s in KINDS.values()
        },
    )
    for stack in sorted(KINDS.values(), key=lambda s: s != POOL):  # the pool first
        if outcomes[stack].error is not None:
            continue
        try:
            copy = workspace.checkout(stack, root / "new" / "stacks" / stack, override)
            tf.init(copy)
            result.moved[stack] = plan = tf.plan(copy, variables=VARIABLES)
            tf.apply(copy, plan)
            result.after[stack] = tf.plan(copy, variables=VARIABLES)
        except TerraformError as failed:
            result.errors[stack] = str(failed)
    return result


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_old_layout_applies(upgrade: Upgrade, kind: str) -> None:
    outcome = upgrade.old[KINDS[kind]]
    assert outcome.error is None, outcome.error
    assert outcome.first is not None
    assert set(outcome.first.counts) == {Action.CREATE}


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_new_layout_moves_every_resource_and_changes_nothing(
    upgrade: Upgrade, kind: str
) -> None:
    stack = KINDS[kind]
    assert stack not in upgrade.errors, upgrade.errors.get(stack)
    plan = upgrade.moved[stack]
    assert [(r.address, r.action) for r in plan.resources] == []
    assert {old for old, _ in plan.moved} == upgrade.resources[stack]
    assert all(
        new == f"module.{'pool' if kind == 'pool' else 'tenant'}.{old}" for old, new in plan.moved
    )
    assert plan.outputs == ()  # what later steps read stays as it was


@pytest.mark.parametrize("kind", list(KINDS))
def test_once_the_moves_are_applied_nothing_is_left_to_do(upgrade: Upgrade, kind: str) -> None:
    stack = KINDS[kind]
    assert stack not in upgrade.errors, upgrade.errors.get(stack)
    after = upgrade.after[stack]
    assert (after.changed, after.resources, after.moved, after.drift) == (False, (), (), ())
