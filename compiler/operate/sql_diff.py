"""What a change does to a SQL target's desired state, read from the compiled state files:
the tables, the privilege profiles and the tenant parts that differ between base and head.

Without a database this is the review: a profile that gains a column, a role that joins a
profile, a policy bound differently. With a DSN, the plan adds the exact statements a
converge would run against the live database (`compiler.sqlops`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import pydantic

from compiler.emit.sql.state import (
    ColumnState,
    RoleState,
    SharedState,
    TableGrant,
    TenantPart,
    shared_from_json,
    tenant_from_json,
)
from compiler.errors import EnvironmentProblem
from compiler.operate.changeset import ChangeSet
from compiler.operate.sources import Source
from compiler.records import NodeRecord

T = TypeVar("T")


@dataclass
class TargetChange:
    target: str
    lines: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # with a DSN: what a converge runs
    live: str = ""  # with a DSN: what was compared ("" without one)

    def to_json(self) -> dict[str, object]:
        return {"changes": self.lines, "statements": self.statements, "live": self.live or None}


def _load(source: Source, path: str | None, parse: Callable[[bytes], T]) -> T | None:
    content = source.read(path) if path else None
    if content is None:
        return None
    try:
        return parse(content)
    except pydantic.ValidationError:
        raise EnvironmentProblem(
            f"{source.label}/{path} is not a valid state file: compile again"
        ) from None


def _state_path(record: NodeRecord | None, suffix: str) -> str | None:
    if record is None:
        return None
    return next((a.path for a in record.artifacts if a.path.endswith(suffix)), None)


def _grants(role: RoleState) -> set[str]:
    out: set[str] = set()
    for grant in role.grants:
        out.update(_grant_lines(grant))
    return out


def _grant_lines(grant: TableGrant) -> Iterable[str]:
    table = f"{grant.schema}.{grant.table}"
    for privilege in grant.table_privileges:
        yield f"{privilege} on {table}"
    for privilege, columns in (
        ("SELECT", grant.select),
        ("INSERT", grant.insert),
        ("UPDATE", grant.update),
    ):
        for column in columns:
            yield f"{privilege} ({column}) on {table}"


def _shared_lines(before: SharedState | None, after: SharedState | None) -> list[str]:
    lines = []
    old_tables = {f"{t.schema}.{t.name}": t for t in before.tables} if before else {}
    new_tables = {f"{t.schema}.{t.name}": t for t in after.tables} if after else {}
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
    old_profiles = {r.name: r for r in before.profiles} if before else {}
    new_profiles = {r.name: r for r in after.profiles} if after else {}
    for name in sorted(old_profiles.keys() | new_profiles.keys()):
        granted = _grants(old_profiles[name]) if name in old_profiles else set()
        grants = _grants(new_profiles[name]) if name in new_profiles else set()
        if name not in old_profiles:
            lines.append(f"profile {name} is created")
        lines.extend(f"profile {name} gains {g}" for g in sorted(grants - granted))
        lines.extend(f"profile {name} loses {g}" for g in sorted(granted - grants))
        if name not in new_profiles:
            lines.append(f"profile {name} is dropped")
    return lines


def _column(column: ColumnState) -> str:
    return f"{column.type}{'' if column.nullable else ' not null'}"


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


def target_changes(changes: ChangeSet) -> dict[str, TargetChange]:
    """Per SQL target touched by the change: its shared state's and tenant parts' changes."""
    out: dict[str, TargetChange] = {}

    def target(name: str) -> TargetChange:
        return out.setdefault(name, TargetChange(name))

    for change in changes.of_kind("sql"):
        name = change.node.partition(":")[2]
        before = _load(changes.base, _state_path(change.base, "/state.json"), shared_from_json)
        after = _load(changes.head, _state_path(change.head, "/state.json"), shared_from_json)
        lines = _shared_lines(before, after)
        if change.change == "added":
            lines.insert(0, "a new database: everything below is created")
        if change.change == "removed":
            lines = ["the database leaves the spec: its roles and objects are no longer managed"]
        if lines:
            target(name).lines.extend(lines)
    for change in changes.of_kind("tenant"):
        tenant = change.node.partition(":")[2]
        was = _load(changes.base, _state_path(change.base, ".json"), tenant_from_json)
        now = _load(changes.head, _state_path(change.head, ".json"), tenant_from_json)
        for name in sorted({p.target for p in (was, now) if p is not None}):
            old = was if was is not None and was.target == name else None
            new = now if now is not None and now.target == name else None
            lines = _part_lines(tenant, old, new)
            if lines:
                target(name).lines.extend(lines)
    return dict(sorted(out.items()))
