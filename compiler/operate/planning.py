"""`paybill plan`: what a change will do, read from the compiled output alone.

    change set  -> business summary (tenants, data that moves)
                -> agent permissions (ACL capability difference, widening marked)
                -> databases (state difference; with a DSN, the statements a converge runs)
                -> stacks (Terraform plans of exactly the changed stacks; deferred ones)
                -> the destructive-change guard
                -> summary.md + plan.json + the saved Terraform plans

Exit codes follow Terraform's `-detailed-exitcode`: 0 nothing changes, 2 changes, 1 refused
(an unconfirmed destructive change), 3 environment (terraform, a database or the emulator
unreachable) — raised as `EnvironmentProblem` by what failed; or a plan written in full
whose stacks include some that terraform could not run for (`compiler.operate.unplannable`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from compiler.errors import EnvironmentProblem
from compiler.operate import acl_diff, business, entitlements_diff, guard, sql_diff, unplannable
from compiler.operate.changeset import ChangeSet, change_set
from compiler.operate.dsns import Dsns
from compiler.operate.migrations.planned import migrations
from compiler.operate.sources import FolderSource, Source, open_base
from compiler.operate.stacks import StackPlan, run_plans, schedule
from compiler.records import NodeRecord, read_records

PLAN_VERSION = "paybill.dev/plan/v1"
EXIT_NONE, EXIT_CHANGES, EXIT_REFUSED, EXIT_NOT_PLANNED = 0, 2, 1, 3


@dataclass(frozen=True)
class PlanOptions:
    generated: Path
    base: str | None
    out: Path
    jobs: int = 2
    terraform: bool = True
    tf_override: Path | None = None
    dsns: Dsns = field(default_factory=Dsns)
    workdir: Path = Path(".paybill/work")


@dataclass
class PlanResult:
    options: PlanOptions
    changes: ChangeSet
    tenants: list[business.TenantChange]
    stacks: dict[str, StackPlan]
    sql: dict[str, sql_diff.TargetChange]
    acl: dict[str, acl_diff.AclChange]
    destructive: list[guard.Destructive]
    unused: list[str]
    plans: list[entitlements_diff.PlanEdit] = field(default_factory=list)
    entitlements: dict[str, entitlements_diff.TenantEntitlements] = field(default_factory=dict)

    @property
    def refused(self) -> list[guard.Destructive]:
        return [d for d in self.destructive if not d.confirmed]

    @property
    def changed(self) -> bool:
        """Whether applying would change anything: a node whose output differs, unless it is
        a stack whose Terraform plan shows nothing to do (its file changed, the resources
        would not, e.g. a new compiler writing the same configuration differently), or a
        module none of whose stacks' plans does anything (it applies through them)."""
        for node in self.changes.changes:
            kind, _, name = node.partition(":")
            if kind == "module":
                users = [p for p in self.stacks.values() if p.module == name]
            elif kind == "stack":
                users = [self.stacks[name]] if name in self.stacks else []
            else:
                return True
            if kind == "stack" and not users:
                return True
            if any(p.plan is None or p.plan.changed for p in users):
                return True
        return False

    def module_users(self) -> dict[str, list[str]]:
        """Each changed module (added, changed or removed): the stacks that use it now."""
        graph = self.changes.graph
        return {
            c.node.partition(":")[2]: [
                n.partition(":")[2] for n in graph.dependants(c.node) if n.startswith("stack:")
            ]
            if c.node in graph
            else []
            for c in self.changes.of_kind("module")
        }

    @property
    def not_planned(self) -> list[str]:
        """Stacks terraform could not run for (their provider is not installed here)."""
        return [s for s, p in self.stacks.items() if p.not_installed]

    @property
    def exit_code(self) -> int:
        """A refusal first; then 3 while a stack could not be planned (environment: its
        provider is missing), so a CI check is not green for what nobody planned."""
        if self.refused:
            return EXIT_REFUSED
        if self.not_planned:
            return EXIT_NOT_PLANNED
        return EXIT_CHANGES if self.changed else EXIT_NONE


class EmptySource:
    """The base of a first deployment: no output at all."""

    label = "(nothing)"

    def records(self) -> dict[str, str]:
        return {}

    def read(self, path: str) -> bytes | None:
        return None


def _json(source: Source, path: str) -> dict[str, object] | None:
    content = source.read(path)
    if content is None:
        return None
    data = orjson.loads(content)
    return data if isinstance(data, dict) else None


def acl_changes(changes: ChangeSet) -> dict[str, acl_diff.AclChange]:
    out = {}
    for change in changes.of_kind("acl"):
        tenant = change.node.partition(":")[2]
        path = f"acl/{tenant}.json"
        found = acl_diff.diff(tenant, _json(changes.base, path), _json(changes.head, path))
        if found:
            out[tenant] = found
    return out


def make_plan(options: PlanOptions, terraform: object | None = None) -> PlanResult:
    """Everything but writing: the change set and what it does."""
    head = FolderSource(options.generated)
    head_records = read_records(options.generated)
    base: Source = (
        EmptySource() if options.base is None else open_base(options.base, options.generated)
    )
    try:
        changes = change_set(base, head, head_records)
        tenants = business.tenant_changes(changes)
        stacks = schedule(changes)
        sql = sql_diff.target_changes(changes)
        acl = acl_changes(changes)
        plans, entitlements = entitlements_diff.entitlement_changes(changes)
        if options.terraform:
            unplannable.mark(stacks, head.read, base.read)
        if options.terraform and any(
            p.deferred_after is None and not p.not_installed for p in stacks.values()
        ):
            _terraform(options, stacks, head, base, terraform)
        _sql_live(options, sql, changes)
        base_records = {c.node: c.base for c in changes.changes.values() if c.base is not None}
        losses = [
            guard.ResourceLoss(p.stack, address, p.loss(address))
            for p in stacks.values()
            for address in p.destructive
        ]
        moving = migrations(changes)
        destructive = guard.destructive_items(losses, moving, head_records, base_records)
        unjudged = [s for s, p in stacks.items() if p.plan is None]
        unused = guard.unused_confirmations(destructive, head_records, unjudged)
    finally:
        close = getattr(base, "close", None)
        if close is not None:
            close()
    return PlanResult(
        options, changes, tenants, stacks, sql, acl, destructive, unused, plans, entitlements
    )


def _terraform(
    options: PlanOptions,
    stacks: dict[str, StackPlan],
    head: Source,
    base: Source,
    terraform: object | None,
) -> None:
    from compiler.terraform import Terraform, Workspace  # noqa: PLC0415  (only when planning stacks)

    runner = terraform if isinstance(terraform, Terraform) else Terraform()
    if options.tf_override is not None and not options.tf_override.is_file():
        raise EnvironmentProblem(
            f"--tf-override {options.tf_override}: no such file; give the provider override "
            "file (the sandbox writes one), or leave the option out"
        )
    shutil.rmtree(options.out / "stacks", ignore_errors=True)
    run_plans(
        stacks,
        terraform=runner,
        workspace=Workspace(options.workdir),
        head=head.read,
        base=base.read,
        override=options.tf_override,
        plan_dir=options.out,
        jobs=options.jobs,
    )


def _sql_live(
    options: PlanOptions, sql: dict[str, sql_diff.TargetChange], changes: ChangeSet
) -> None:
    """With a DSN, the statements a converge would run on each touched target: every
    target, when the runtime they share changed."""
    if not options.dsns:
        return
    from compiler.operate.sql_apply import database_missing  # noqa: PLC0415
    from compiler.sqlops.connect import mask  # noqa: PLC0415
    from compiler.sqlops.converge import drift, load_state  # noqa: PLC0415

    if sql_diff.SHARED in sql:
        for node in changes.head_records:
            name = node.partition(":")[2]
            if node.startswith("sql:") and name not in sql and options.dsns.for_target(name):
                sql[name] = sql_diff.TargetChange(name)
        ordered = sorted(sql.items(), key=lambda item: (item[0] != sql_diff.SHARED, item[0]))
        sql.clear()
        sql.update(ordered)
    for target, change in list(sql.items()):
        if target == sql_diff.SHARED:
            continue
        dsn = options.dsns.for_target(target)
        if dsn is None:
            continue
        if not (options.generated / "sql" / target).is_dir():
            change.live = mask(dsn.dsn)
            change.statements = ["-- the target leaves the spec: nothing is converged"]
            continue
        change.live = mask(dsn.dsn)
        if database_missing(dsn):
            change.statements = [f"-- database {target} does not exist yet: apply creates it"]
            continue
        outcome = drift(dsn.dsn, load_state(options.generated, target))
        change.statements = [str(s) for s in outcome.sql]


def node_digests(records: dict[str, NodeRecord], nodes: list[str]) -> dict[str, dict[str, str]]:
    """What each planned node's files were when planned: `apply --plan` refuses a plan whose
    nodes changed since."""
    return {
        node: {a.path: a.sha256 for a in records[node].artifacts}
        for node in sorted(nodes)
        if node in records
    }
