"""The business summary of a change: tenants added and removed, and tenants whose plan,
isolation, state or subscription change; and the data that moves with them.

Read from the tenant records' facts (the head's and the base's), never from the spec. A
tenant's rows move when it changes isolation model (a pooled tenant's rows live in its
pool's database, a silo or bridge tenant's in its own) or, in a pool, when it changes pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.operate.changeset import ChangeSet
from compiler.operate.summary import count, names
from compiler.records import TenantFacts

FACTS = ("plan", "isolation", "state", "subscription", "region", "pool")


@dataclass(frozen=True)
class TenantChange:
    tenant: str
    change: str  # "added" | "removed" | "changed"
    before: TenantFacts | None
    after: TenantFacts | None
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def data_move(self) -> tuple[str, str] | None:
        """(from, to) database of the tenant's rows when they move, else None."""
        before, after = self.before, self.after
        if before is None or after is None or "deleted" in (before.state, after.state):
            return None
        if before.sql_target != after.sql_target and before.sql_target and after.sql_target:
            return (before.sql_target, after.sql_target)
        return None

    def to_json(self) -> dict[str, object]:
        move = self.data_move
        return {
            "tenant": self.tenant,
            "change": self.change,
            "fields": {k: {"from": a, "to": b} for k, (a, b) in self.fields.items()},
            "dataMove": None if move is None else {"from": move[0], "to": move[1]},
        }

    def line(self) -> str:
        """One line for people."""
        if self.change == "added" and self.after is not None:
            a = self.after
            where = f", pool {a.pool}" if a.pool else ""
            return (
                f"**{self.tenant}** added: plan {a.plan} ({a.isolation}{where}), {a.state}, "
                f"subscription {a.subscription}"
            )
        if self.change == "removed":
            was = self.before.state if self.before else "unknown"
            return f"**{self.tenant}** removed from the spec (it was {was})"
        parts = [f"{name} {shown(old)} → {shown(new)}" for name, (old, new) in self.fields.items()]
        return f"**{self.tenant}**: " + ", ".join(parts) + self.because()

    def because(self) -> str:
        """`, because subscription sub_1 (stripe) is unpaid since 2026-01-05T10:00:00Z`: why
        billing news changed the tenant, when the head's record carries a new billing
        event; empty for a hand edit."""
        after = self.after
        billing = after.billing if after is not None else None
        before = self.before.billing if self.before is not None else None
        if billing is None or (before is not None and before.event == billing.event):
            return ""
        since = billing.since or billing.as_of
        when = f" since {since}" if since else ""
        event = f" (event {billing.event})" if billing.event else ""
        return (
            f", because subscription {billing.id} ({billing.provider}) is "
            f"{after.subscription if after else ''}{when}{event}"
        )


def shown(value: str | None) -> str:
    """A fact as a reviewer reads it: a silo tenant's pool is `none`, not `None`."""
    return "none" if value is None else value


def grouped_lines(changes: list[TenantChange]) -> list[str]:
    """The same changes, grouped: tenants added alike, removed, and each field that changes
    the same way, with how many tenants and which (the first few)."""
    groups: dict[str, list[str]] = {}
    for change in changes:
        if change.change == "added" and change.after is not None:
            a = change.after
            where = f", pool {a.pool}" if a.pool else ""
            key = f"added: plan {a.plan} ({a.isolation}{where}), {a.state}"
            groups.setdefault(key, []).append(change.tenant)
        elif change.change == "removed":
            groups.setdefault("removed from the spec", []).append(change.tenant)
        for name, (old, new) in change.fields.items():
            key = f"{name} {shown(old)} → {shown(new)}"
            groups.setdefault(key, []).append(change.tenant)
    return [
        f"- {key}: {count(len(tenants), 'tenant')} ({names(tenants)})"
        for key, tenants in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    ]


def counted_lines(changes: list[TenantChange]) -> list[str]:
    """Only how many tenants are added, removed and changed."""
    kinds = {kind: sum(1 for c in changes if c.change == kind) for kind in FACT_CHANGES}
    return [f"- {count(n, 'tenant')} {kind}" for kind, n in kinds.items() if n]


FACT_CHANGES = ("added", "removed", "changed")


def tenant_changes(changes: ChangeSet) -> list[TenantChange]:
    out = []
    for change in changes.of_kind("tenant"):
        before = change.base.tenant if change.base else None
        after = change.head.tenant if change.head else None
        name = change.node.partition(":")[2]
        if before is None and after is None:
            continue
        fields = {}
        if before is not None and after is not None:
            for key in FACTS:
                old, new = getattr(before, key), getattr(after, key)
                if old != new:
                    fields[key] = (old, new)
            if not fields:
                continue  # only its roles or billing bookkeeping changed
        out.append(TenantChange(name, change.change, before, after, fields))
    return out
