"""What a change does to the SQL targets' desired states, read from the compiled state files:
the shared runtime, each target's roles, each tenant's part.

Without a database this is the review: a table or a column added, a profile that gains a
column, a step function that changes, a role that joins a profile, a policy bound
differently. A change to the runtime (`runtime:sql`) is said once, under `shared`, for
every target applies it; a target's own lines are only what differs in it. With a DSN, the
plan adds the exact statements a converge would run against each live database
(`compiler.sqlops`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from compiler.emit.sql.runtime import ProfileState, RuntimeState, TargetPart
from compiler.emit.sql.state import ColumnState, TableGrant, TableState, TenantPart
from compiler.graph import SQL_RUNTIME_NODE
from compiler.operate.changeset import ChangeSet
from compiler.operate.sql_states import States

SHARED = "shared"  # the key of the runtime's lines (no target is named so)


@dataclass
class TargetChange:
    target: str
    lines: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # with a DSN: what a converge runs
    live: str = ""  # with a DSN: what was compared ("" without one)

    def to_json(self) -> dict[str, object]:
        return {"changes": self.lines, "statements": self.statements, "live": self.live or None}


def target_changes(changes: ChangeSet) -> dict[str, TargetChange]:
    """Per SQL target touched by the change, and once for the runtime they share: what
    changes in their desired state."""
    head_nodes = sorted(changes.head_records)
    base = States(changes.base, changes.base_record, sorted({*head_nodes, *changes.changes}))
    head = States(changes.head, changes.head_records.get, head_nodes)
    out: dict[str, TargetChange] = {}

    def target(name: str) -> TargetChange:
        return out.setdefault(name, TargetChange(name))

    if SQL_RUNTIME_NODE in changes.changes:
        targets = sum(1 for n in head_nodes if n.startswith("sql:"))
        target(SHARED).lines.extend(runtime_lines(base, head, targets))
    for change in changes.of_kind("sql"):
        name = change.node.partition(":")[2]
        if change.change == "removed":
            lines = ["the database leaves the spec: its roles and objects are no longer managed"]
        else:
            lines = _target_lines(base.target(name), head.target(name))
            if change.change == "added":
                lines.insert(0, "a new database: the shared runtime and these roles are created")
        if lines:
            target(name).lines.extend(lines)
    for change in changes.of_kind("tenant"):
        tenant = change.node.partition(":")[2]
        was, now = base.tenant(tenant), head.tenant(tenant)
        for name in sorted({p.target for p in (was, now) if p is not None}):
            old = was if was is not None and was.target == name else None
            new = now if now is not None and now.target == name else None
            lines = _part_lines(tenant, old, new)
            if lines:
                target(name).lines.extend(lines)
    return dict(sorted(out.items(), key=lambda item: (item[0] != SHARED, item[0])))


# -- the runtime --------------------------------------------------------------------------
def runtime_lines(base: States, head: States, targets: int) -> list[str]:
    before, from_targets = base.runtime()
    after, _ = head.runtime()
    lines = _tables(before.tables if before else (), after.tables if after else ())
    lines += _profiles(before.profiles if before else (), after.profiles if after else ())
    lines += _functions(before, after)
    if before is not None and after is not None and before.settings != after.settings:
        shown = ", ".join(f"{s.name} = {s.value}" for s in after.settings)
        lines.append(f"the session limits of every database become: {shown}")
    if from_targets:
        lines.insert(0, "the SQL every target shared is now written once, in sql/shared/")
    if not lines:
        lines.append(
            "its SQL files change (function bodies or layout); its tables, profiles, "
            "workflows and steps stay the same"
        )
    every = f"every SQL target applies this ({targets} in all)"
    lines.insert(0, every if after is not None else "no SQL target is left to apply it")
    return lines


def _tables(before: Iterable[TableState], after: Iterable[TableState]) -> list[str]:
    lines = []
    old_tables = {f"{t.schema}.{t.name}": t for t in before}
    new_tables = {f"{t.schema}.{t.name}": t for t in after}
    for name in sorted(new_tables.keys() - old_tables.keys()):
        lines.append(f"table {name} is created")
    for name in sorted(old_tables.keys() - new_tables.keys()):
        lines.append(f"table {name} leaves the spec: its rows stay in the database, unmanaged")
    for name in sorted(old_tables.keys() & new_tables.keys()):
        old_cols = {c.name: c for c in old_tables[name].columns}
        new_cols = {c.name: c for c in new_tables[name].columns}
        lines.extend(
            f"column {name}.{c} is added" for c in sorted(new_cols.keys() - old_cols.keys())
        )
        lines.extend(
            f"column {name}.{c} leaves the spec: it stays in the database, unmanaged"
            for c in sorted(old_cols.keys() - new_cols.keys())
        )
        for c in sorted(old_cols.keys() & new_cols.keys()):
            if old_cols[c] != new_cols[c]:
                was, now = _column(old_cols[c]), _column(new_cols[c])
                lines.append(f"column {name}.{c} changes ({was} -> {now}); a migration is needed")
        if old_tables[name].row_security != new_tables[name].row_security:
            on = "on" if new_tables[name].row_security else "off"
            lines.append(f"row-level security on {name} turns {on}")
    return lines


def _column(column: ColumnState) -> str:
    return f"{column.type}{'' if column.nullable else ' not null'}"


def _profiles(before: Iterable[ProfileState], after: Iterable[ProfileState]) -> list[str]:
    """By key: every target's role for the profile gains or loses the same privileges."""
    lines = []
    old = {p.key: p for p in before}
    new = {p.key: p for p in after}
    for key in sorted(old.keys() | new.keys()):
        granted = _grants(old[key].grants) if key in old else set()
        grants = _grants(new[key].grants) if key in new else set()
        if key not in old:
            lines.append(f"profile {key} is created in every target")
        lines.extend(f"profile {key} gains {g}" for g in sorted(grants - granted))
        lines.extend(f"profile {key} loses {g}" for g in sorted(granted - grants))
        if key not in new:
            lines.append(f"profile {key} is dropped from every target")
    return lines


def _grants(grants: Iterable[TableGrant]) -> set[str]:
    out: set[str] = set()
    for grant in grants:
        table = f"{grant.schema}.{grant.table}"
        out.update(f"{privilege} on {table}" for privilege in grant.table_privileges)
        for privilege, columns in (
            ("SELECT", grant.select),
            ("INSERT", grant.insert),
            ("UPDATE", grant.update),
        ):
            out.update(f"{privilege} ({column}) on {table}" for column in columns)
    return out


def _functions(before: RuntimeState | None, after: RuntimeState | None) -> list[str]:
    """Workflows' limits and the step functions, by name."""
    old_flows = {w.workflow: w for w in before.workflows} if before else {}
    new_flows = {w.workflow: w for w in after.workflows} if after else {}
    old_steps = {s.function: s for s in before.steps} if before else {}
    new_steps = {s.function: s for s in after.steps} if after else {}
    return [
        *_named("workflow", old_flows, new_flows, "leaves the spec", "changes its limits"),
        *_named("step function", old_steps, new_steps, "is dropped", "changes"),
    ]


def _named(
    what: str, old: Mapping[str, object], new: Mapping[str, object], gone: str, changed: str
) -> list[str]:
    """A line for each name added, removed or changed between `old` and `new`."""
    lines = []
    for name in sorted(old.keys() | new.keys()):
        if name not in old:
            lines.append(f"{what} {name} is added")
        elif name not in new:
            lines.append(f"{what} {name} {gone}")
        elif old[name] != new[name]:
            lines.append(f"{what} {name} {changed}")
    return lines


# -- a target's own part, a tenant's part -------------------------------------------------
def _target_lines(before: TargetPart | None, after: TargetPart | None) -> list[str]:
    old = before.names if before else {}
    new = after.names if after else {}
    lines = [f"role {new[k]} (profile {k}) is created" for k in sorted(new.keys() - old.keys())]
    lines += [f"role {old[k]} (profile {k}) is dropped" for k in sorted(old.keys() - new.keys())]
    lines += [
        f"profile {k} is played by role {new[k]} instead of {old[k]}"
        for k in sorted(old.keys() & new.keys())
        if old[k] != new[k]
    ]
    return lines


def _part_lines(tenant: str, before: TenantPart | None, after: TenantPart | None) -> list[str]:
    lines = []
    old_roles = {r.name: r for r in before.roles} if before else {}
    new_roles = {r.name: r for r in after.roles} if after else {}
    for name in sorted(new_roles.keys() - old_roles.keys()):
        lines.append(
            f"role {name} ({tenant}) is created, member of {', '.join(new_roles[name].member_of)}"
        )
    for name in sorted(old_roles.keys() - new_roles.keys()):
        lines.append(f"role {name} ({tenant}) is dropped")
    for name in sorted(old_roles.keys() & new_roles.keys()):
        was, now = set(old_roles[name].member_of), set(new_roles[name].member_of)
        lines.extend(f"role {name} joins {g}" for g in sorted(now - was))
        lines.extend(f"role {name} leaves {g}" for g in sorted(was - now))
    old_policies = {(p.schema, p.table): p for p in before.policies} if before else {}
    new_policies = {(p.schema, p.table): p for p in after.policies} if after else {}
    for key in sorted(old_policies.keys() | new_policies.keys()):
        table = f"{key[0]}.{key[1]}"
        was = set(old_policies[key].roles) if key in old_policies else set()
        now = set(new_policies[key].roles) if key in new_policies else set()
        if was != now:
            shown = ", ".join(sorted(now)) or "nobody (dropped)"
            lines.append(f"policy of {tenant} on {table} names {shown}")
    return lines
