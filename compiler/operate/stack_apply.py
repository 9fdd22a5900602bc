"""Applying one stack: plan (or take the reviewed plan), guard, lift protection where
confirmed, apply; and tearing down a stack that left the output, in order.

Every step runs in the stack's working copy (`compiler.terraform.Workspace`), never in
`generated/`. The configuration a stack was last applied with, its root and its module, is
kept beside the working copies (`applied/<stack>/`, laid out as in `generated/`): it is what
a protection is lifted with before a confirmed replacement, and what a removed stack is torn
down with. Without it (a fresh CI machine with remote state), the base's configuration is
used. A working copy made from it has its modules to itself (they may not be the head's).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.errors import PaybillError
from compiler.operate import protection
from compiler.operate.guard import Destructive, ResourceLoss, destructive_items
from compiler.operate.stacks import (
    CONFIG,
    STACK_FILES,
    Extra,
    checkout,
    configuration,
    unprotecting,
)
from compiler.records import NodeRecord, tenant_of_stack
from compiler.terraform import Plan, Terraform, WorkingCopy, Workspace
from compiler.terraform.modules import calls_of

Read = Callable[[str], bytes | None]


class Refused(PaybillError):
    """A change the guard stops (exit 1): each item and the confirmation that allows it."""

    exit_code = 1

    def __init__(
        self, stack: str, items: list[Destructive] | None = None, reason: str = ""
    ) -> None:
        self.items = items or []
        lines = [f"  {i.what}; add to {i.owner}: {i.confirmation}" for i in self.items]
        text = reason or "destructive changes are not confirmed in the spec"
        super().__init__(f"stack {stack}: {text}" + ("\n" + "\n".join(lines) if lines else ""))


@dataclass
class StackRun:
    """Everything applying stacks needs, shared by the stacks of one apply."""

    terraform: Terraform
    workspace: Workspace
    override: Path | None
    head: Read
    base: Read | None
    head_records: Mapping[str, NodeRecord]
    base_records: Mapping[str, NodeRecord]
    saved: Path | None = None  # a plan folder whose saved plans are current for their stacks
    saved_stacks: frozenset[str] = field(default_factory=frozenset)

    def applied_folder(self, stack: str) -> Path:
        return self.workspace.root / "applied" / stack

    def previous(self, stack: str) -> Read | None:
        """How to read the configuration the stack was last applied with, if known."""
        folder = self.applied_folder(stack)
        if (folder / "stacks" / stack / CONFIG).is_file():
            return lambda path: _read_file(folder / path)
        if (folder / CONFIG).is_file():  # kept by a paybill before modules: the root alone
            own = f"stacks/{stack}/"
            return lambda path: (
                _read_file(folder / path.removeprefix(own)) if path.startswith(own) else None
            )
        return self.base

    def copy_of(
        self, stack: str, read: Read, extra: Extra | None = None, *, private: bool = False
    ) -> WorkingCopy:
        """Check the stack's configuration (and `extra` files) out into its working copy;
        `private` for a configuration other than the head's."""
        incoming = checkout(self.workspace, stack, read, extra, private=private)
        if not (incoming.folder / CONFIG).is_file():
            raise Refused(stack, reason="its configuration cannot be found to run terraform with")
        copy = incoming.into(self.workspace, self.override)
        self.terraform.init(copy)
        return copy

    def remember(self, stack: str, read: Read) -> None:
        """Keep the configuration `read` gives (root, modules, lock files) as applied."""
        folder = self.applied_folder(stack)
        shutil.rmtree(folder, ignore_errors=True)
        paths = [f"stacks/{stack}/{name}" for name in STACK_FILES]
        root = read(paths[0])
        if root is not None:
            modules = calls_of(paths[0], root).values()
            paths += [f"modules/{module}/{name}" for module in modules for name in STACK_FILES]
        for path in paths:
            content = read(path)
            if content is not None:
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                (folder / path).write_bytes(content)

    def forget_applied(self, stack: str) -> None:
        shutil.rmtree(self.applied_folder(stack), ignore_errors=True)


def _read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _guard(run: StackRun, stack: str, plan: Plan) -> list[Destructive]:
    losses = [ResourceLoss(stack, r.address, r.action.value) for r in plan.destructive]
    items = destructive_items(losses, [], run.head_records, run.base_records)
    refused = [i for i in items if not i.confirmed]
    if refused:
        raise Refused(stack, refused)
    return items


def apply_stack(run: StackRun, stack: str) -> str:
    """Bring one stack to the head's configuration; returns what was done, for people."""
    copy = run.copy_of(stack, run.head)
    saved = run.saved / "stacks" / stack / "plan.tfplan" if run.saved else None
    if saved is not None and stack in run.saved_stacks and saved.is_file():
        plan = run.terraform.show(copy, saved)
    else:
        plan = run.terraform.plan(copy)
    items = _guard(run, stack, plan)
    if not plan.changed:
        run.remember(stack, run.head)
        return "no changes"
    lift = [r.address for r in plan.destructive if protection.needs_unprotecting(r.address)]
    if lift:
        _unprotect(run, stack, lift)
        copy = run.copy_of(stack, run.head)
        replanned = run.terraform.plan(copy)
        before = {r.address for r in plan.destructive}
        if {r.address for r in replanned.destructive} - before:
            raise Refused(stack, reason="planned again, it destroys more than was reviewed")
        _guard(run, stack, replanned)
        plan = replanned
    run.terraform.apply(copy, plan)
    run.remember(stack, run.head)
    counts = ", ".join(f"{n} {a.value}" for a, n in sorted(plan.counts.items())) or "no resources"
    confirmed = f"; confirmed: {', '.join(i.what for i in items)}" if items else ""
    return f"applied ({counts}){confirmed}"


def _unprotect(run: StackRun, stack: str, addresses: list[str]) -> None:
    """Lift the cloud-side protection of confirmed resources, with the last applied
    configuration (the head's would replace them right away)."""
    previous = run.previous(stack)
    found = configuration(previous, stack) if previous is not None else None
    if previous is None or found is None:
        raise Refused(
            stack,
            reason="the configuration it was last applied with is unknown, so the protection "
            "of what it replaces cannot be lifted first: apply with --base <the previous "
            "revision>",
        )
    # Addresses as that configuration has them (the stores of a stack written before
    # modules are at its root).
    resources = protection.relocate(map(protection.Address.parse, addresses), set(found[1]))
    extra = unprotecting(protection.override(resources, teardown=False))
    copy = run.copy_of(stack, previous, extra, private=True)
    run.terraform.apply_targets(copy, [r.full for r in resources])


def teardown_stack(run: StackRun, stack: str, *, retired: bool = False) -> str:
    """Destroy a stack that left the output: only a deleted tenant's (its data deletion was
    confirmed), or the old home a migration retires (`retired`: confirmed with
    `retireOld`), in order — protection lifted, key forgotten (kept for the snapshots), final
    snapshots taken, everything else destroyed."""
    if stack.startswith("pool-"):
        raise Refused(
            stack,
            reason="a pool is never torn down by apply; move its tenants away, then destroy it "
            "by hand with terraform after a backup",
        )
    tenant = tenant_of_stack(stack, run.head_records, run.base_records)
    record = run.head_records.get(f"tenant:{tenant}") or run.base_records.get(f"tenant:{tenant}")
    deleted = record is not None and record.confirm is not None and record.confirm.data_deletion
    if not (retired or deleted):
        raise Refused(
            stack,
            reason=f"it left the output but tenant {tenant} is not deleted with "
            f"'confirmDataDeletion: {tenant}', nor is it the old home a migration retires",
        )
    previous = run.previous(stack)
    if previous is None:
        return "nothing to tear down (never applied here, and no base given)"
    found = configuration(previous, stack)
    if found is None:
        return "nothing to tear down"
    stores = protection.stores(*found)
    extra = unprotecting(protection.override(stores, teardown=True))
    copy = run.copy_of(stack, previous, extra, private=True)
    present = set(run.terraform.resources(copy))
    if not present:
        run.forget_applied(stack)
        return "nothing to tear down (no state)"
    unprotect = [s.full for s in stores if s.type != "aws_kms_key" and s.full in present]
    if unprotect:
        run.terraform.apply_targets(copy, unprotect)
    kept = [s.full for s in stores if s.type in protection.KEPT_ON_TEARDOWN and s.full in present]
    run.terraform.forget(copy, kept)
    plan = run.terraform.plan(copy, destroy=True)
    run.terraform.apply(copy, plan)
    run.forget_applied(stack)
    destroyed = sum(plan.counts.values())
    return f"torn down ({destroyed} resources destroyed); kept: {', '.join(kept) or 'nothing'}"
