"""Which stacks a change plans now, which after an earlier wave, and running their plans.

A stack reads its pool's outputs (remote state). When the pool stack itself changes, its
tenants' stacks cannot be planned against outputs that do not exist yet: they are *deferred*,
"planned after wave N" (the wave that applies the pool), and planned again by `apply` once
that wave is through. So is a stack whose upstream has never been applied (its remote state
does not exist yet: a new platform, or a pool added by an earlier change that was not
applied). Everything else that changed is planned now, up to `jobs` at a time,
each in a working copy of the stack outside `generated/` (`compiler.terraform`). A stack
removed from the output is planned for destruction from its base configuration.

A stack's configuration is its root (`stacks/<stack>/cdk.tf.json`) and the module it calls
(`modules/<module>/cdk.tf.json`, with the lock file its stacks are initialised with): a
checkout reads both from the same output, and a change to a module is planned in every
stack that uses it (`schedule`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from compiler.errors import EnvironmentProblem
from compiler.operate import protection
from compiler.operate.changeset import ChangeSet
from compiler.terraform import Plan, Terraform, TerraformError, WorkingCopy, Workspace
from compiler.terraform.modules import calls_of, module_calls
from compiler.terraform.show import kept_file

CONFIG = "cdk.tf.json"
LOCK = ".terraform.lock.hcl"
# What terraform says when a `terraform_remote_state` it reads has no state, whatever the
# backend: the upstream stack has not been applied.
UNAPPLIED = "Unable to find remote state"
STACK_FILES = (CONFIG, LOCK)
# Where a checkout puts a file of `extra`: the stack's root folder, or a module call's.
ROOT = protection.ROOT
Extra = Mapping[str, Mapping[str, bytes]]  # where -> file name -> bytes


@dataclass
class StackPlan:
    stack: str
    change: str  # "added" | "changed" | "removed" | "downstream"
    plan: Plan | None = None
    deferred_after: int | None = None  # the wave after which it is planned
    because: list[str] = field(default_factory=list)  # the stacks it waits for
    waits_for: str = "changes"  # why: they "changes", or are "not applied" yet
    reads: list[str] = field(default_factory=list)  # every stack whose state it reads
    reads_wave: int = 0  # the last wave of those
    module: str | None = None  # the changed module it is planned for (change "downstream")
    error: str = ""
    # Addresses terraform would not destroy or replace (`prevent_destroy`): the plan shown
    # is the one with only that lifted, for review; it is not saved, so it cannot be applied.
    protected: list[str] = field(default_factory=list)
    # Providers terraform cannot get here (`compiler.operate.unplannable`): not planned.
    not_installed: list[str] = field(default_factory=list)
    note: str = ""  # "schema-checked only: provider azurerm not installed"

    @property
    def destructive(self) -> list[str]:
        """Addresses of the data-bearing resources the plan deletes or replaces, and of
        any resource terraform refused to destroy."""
        found = {r.address for r in self.plan.destructive} if self.plan else set()
        return sorted(found | set(self.protected))

    def loss(self, address: str) -> str:
        """What the plan does to a destroyed address: "delete" or "replace"."""
        for resource in self.plan.resources if self.plan else ():
            if resource.address == address:
                return resource.action.value
        return "destroy"

    def to_json(self) -> dict[str, object]:
        counts: dict[str, int] = {}
        addresses: dict[str, list[str]] = {}
        if self.plan is not None:
            for resource in self.plan.resources:
                counts[resource.action.value] = counts.get(resource.action.value, 0) + 1
                addresses.setdefault(resource.action.value, []).append(resource.address)
        return {
            "change": self.change,
            "planned": self.plan is not None,
            "create": counts.get("create", 0),
            "update": counts.get("update", 0),
            "replace": counts.get("replace", 0),
            "delete": counts.get("delete", 0),
            "addresses": addresses,
            "moved": len(self.plan.moved) if self.plan else 0,
            "module": self.module,
            "destructive": self.destructive,
            "planFile": (
                f"stacks/{self.stack}/plan.tfplan" if self.plan and not self.protected else None
            ),
            "schemaCheckedOnly": (
                {"note": self.note, "providers": self.not_installed} if self.not_installed else None
            ),
        }


def schedule(changes: ChangeSet) -> dict[str, StackPlan]:
    """Every stack the change touches: to plan now, deferred, or removed.

    A stack whose module changed is planned as a changed stack would be (and a tenant of a
    pool whose module changed waits for the pool, as for a change of the pool's own file);
    the module itself has nothing to apply and holds nothing back."""
    graph = changes.graph
    wave_of = graph.wave_of()
    through = {
        stack: change.node
        for change in changes.of_kind("module")
        if change.change != "removed"
        for stack in graph.dependants(change.node)
        if stack.startswith("stack:")
    }  # stack -> the changed module it uses
    moved = {
        node
        for node, change in changes.changes.items()
        if change.kind == "stack" and change.change != "removed"
    } | set(through)
    out: dict[str, StackPlan] = {}
    for node in sorted(moved | {n for n in changes.downstream if n.startswith("stack:")}):
        stack = node.partition(":")[2]
        upstream = sorted(n for n in graph.upstream(node) if n in moved)
        kind = changes.changes[node].change if node in changes.changes else "downstream"
        plan = StackPlan(stack, kind)
        if node in through and node not in changes.changes:
            plan.module = through[node].partition(":")[2]
        reads = sorted(n for n in graph.upstream(node) if n.startswith("stack:"))
        plan.reads = [n.partition(":")[2] for n in reads]
        plan.reads_wave = max((wave_of[n] for n in reads), default=0)
        if upstream:
            plan.deferred_after = max(wave_of[n] for n in upstream)
            plan.because = [n.partition(":")[2] for n in upstream]
        out[stack] = plan
    for change in changes.of_kind("stack"):
        if change.change == "removed":
            stack = change.node.partition(":")[2]
            out[stack] = StackPlan(stack, "removed")
    return dict(sorted(out.items()))


def require_variables(stack: str, config: bytes) -> None:
    """Terraform asks for a required variable it is not given, or fails when it cannot
    ask: say which `TF_VAR_*` the stack needs, and what for, before it runs."""
    try:
        declared = orjson.loads(config).get("variable") or {}
    except (orjson.JSONDecodeError, AttributeError):
        return  # Terraform's own message is the better one
    missing = [
        f"TF_VAR_{name}" + (f" ({spec['description']})" if spec.get("description") else "")
        for name, spec in sorted(declared.items())
        if isinstance(spec, dict) and "default" not in spec and f"TF_VAR_{name}" not in os.environ
    ]
    if missing:
        raise EnvironmentProblem(
            f"stack {stack} needs variables that are not set: {'; '.join(missing)}. "
            "Export them first (`paybill sandbox up` writes values for the local emulator "
            "into its sandbox.env)"
        )


@dataclass(frozen=True)
class Incoming:
    """A stack's configuration read from an output, laid out as in `generated/`
    (`stacks/<stack>/`, `modules/<module>/`): `folder` is the stack's; `private` when its
    modules must be this working copy's alone (`compiler.terraform.modules`)."""

    folder: Path
    private: bool
    modules: dict[str, str]  # call -> module

    def into(self, workspace: Workspace, override: Path | None) -> WorkingCopy:
        return workspace.checkout(
            self.folder.name, self.folder, override, private_modules=self.private
        )


def checkout(
    workspace: Workspace,
    stack: str,
    read: Callable[[str], bytes | None],
    extra: Extra | None = None,
    *,
    private: bool = False,
) -> Incoming:
    """Put a stack's configuration (read from an output source), its modules and `extra`
    files (by where they go: `ROOT`, or a module call) into a folder of its own: what the
    workspace copies into the working copy. A module with extra files, or read from
    elsewhere than the head (`private`), is private to the working copy."""
    base = workspace.root / "incoming" / stack
    shutil.rmtree(base, ignore_errors=True)
    folder = base / "stacks" / stack
    folder.mkdir(parents=True)
    for name in STACK_FILES:
        content = read(f"stacks/{stack}/{name}")
        if content is not None:
            if name == CONFIG:
                require_variables(stack, content)
            (folder / name).write_bytes(content)
    extra = extra or {}
    for name, content in extra.get(ROOT, {}).items():
        (folder / name).write_bytes(content)
    calls = module_calls(folder) if (folder / CONFIG).is_file() else {}
    for call, module in calls.items():
        target = base / "modules" / module
        target.mkdir(parents=True, exist_ok=True)
        for name in STACK_FILES:
            content = read(f"modules/{module}/{name}")
            if content is not None:
                (target / name).write_bytes(content)
        for name, content in extra.get(call, {}).items():
            (target / name).write_bytes(content)
    private = private or any(where != ROOT for where in extra)
    return Incoming(folder, private, calls)


def configuration(
    read: Callable[[str], bytes | None], stack: str
) -> tuple[bytes, dict[str, bytes]] | None:
    """A stack's root configuration and, by call, its modules' (None without a root)."""
    path = f"stacks/{stack}/{CONFIG}"
    root = read(path)
    if root is None:
        return None
    modules = {}
    for call, module in calls_of(path, root).items():
        content = read(f"modules/{module}/{CONFIG}")
        if content is not None:
            modules[call] = content
    return root, modules


def longest_first(stacks: list[str], read: Callable[[str], bytes | None]) -> list[str]:
    """`stacks` with the most resources (root and modules together) first, ties in the
    given order.

    The stacks of a wave run `jobs` at a time and share the cores: a stack with a database
    spends minutes in the provider's waits once it has planned and started, so it should
    neither queue behind small stacks nor share the cores with all of them while it plans.
    The resource count stands for that length; no terraform runs to find it."""

    def count(config: bytes) -> int:
        try:
            blocks = orjson.loads(config).get("resource") or {}
        except (orjson.JSONDecodeError, AttributeError):
            return 0  # planning the stack reports the problem
        return sum(len(group) for group in blocks.values() if isinstance(group, dict))

    def size(stack: str) -> int:
        found = configuration(read, stack)
        if found is None:
            return 0
        root, modules = found
        return count(root) + sum(count(content) for content in modules.values())

    sizes = {stack: size(stack) for stack in stacks}
    return sorted(stacks, key=lambda stack: -sizes[stack])


def unprotecting(overrides: Mapping[str, bytes]) -> dict[str, dict[str, bytes]]:
    """Extra files holding `protection` overrides, by where each goes."""
    return {where: {protection.UNPROTECT_FILE: content} for where, content in overrides.items()}


def run_plans(
    plans: Mapping[str, StackPlan],
    *,
    terraform: Terraform,
    workspace: Workspace,
    head: Callable[[str], bytes | None],
    base: Callable[[str], bytes | None],
    override: Path | None,
    plan_dir: Path,
    jobs: int,
) -> None:
    """Plan every stack that is not deferred, `jobs` at a time; fills in `plan` or `error`."""

    def one(item: StackPlan) -> None:
        removed = item.change == "removed"
        extra: Extra = {}
        if removed:
            # What a teardown would do: the protection of its data stores lifted (the guard
            # then asks whether the tenant's data deletion was confirmed).
            found = configuration(base, item.stack)
            if found is not None:
                stores = protection.stores(*found)
                extra = unprotecting(protection.override(stores, teardown=True))
        source = checkout(workspace, item.stack, base if removed else head, extra, private=removed)
        copy = source.into(workspace, override)
        out = plan_dir / "stacks" / item.stack / "plan.tfplan"
        out.parent.mkdir(parents=True, exist_ok=True)
        terraform.init(copy)
        try:
            item.plan = terraform.plan(copy, out=out, destroy=removed)
        except TerraformError as error:
            kept = protection.refused_destroys(error.detail)
            if kept and not removed:
                item.protected = kept
                item.plan = _plan_for_review(item, kept, out)
                return
            if not (UNAPPLIED in error.detail and item.reads):
                raise
            item.deferred_after = item.reads_wave
            item.because = item.reads
            item.waits_for = "not applied"

    def _plan_for_review(item: StackPlan, kept: list[str], out: Path) -> Plan:
        """The plan with the `prevent_destroy` of `kept` lifted: what the change would do,
        to show and to refuse. Its file is removed at once (never applied)."""
        lifted = unprotecting(protection.lift_prevent_destroy(kept))
        again = checkout(workspace, item.stack, head, lifted)
        copy = again.into(workspace, override)
        terraform.init(copy)  # its modules are private now
        try:
            return terraform.plan(copy, out=out)
        finally:
            out.unlink(missing_ok=True)
            kept_file(out).unlink(missing_ok=True)

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        todo = [p for p in plans.values() if p.deferred_after is None and not p.not_installed]
        while todo:
            list(pool.map(one, todo))
            todo = _now_plannable(plans)


def _now_plannable(plans: Mapping[str, StackPlan]) -> list[StackPlan]:
    """Deferred stacks whose changed upstream stacks are planned and change none of their
    outputs: what they read will be the same after the upstream is applied, so they can be
    planned now (a configuration that changed only in form, a tag, a sizing)."""
    out = []
    for item in plans.values():
        if item.deferred_after is None or item.plan is not None:
            continue
        upstream = [plans.get(name) for name in item.because]
        if item.waits_for == "changes" and all(
            u is not None and u.plan is not None and not u.plan.outputs for u in upstream
        ):
            item.deferred_after = None
            item.because = []
            out.append(item)
    return out
