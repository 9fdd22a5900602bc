"""One tenant's pending change during a sync: where its file starts from (its open branch,
or the base), the news applied to it so far, and what happened to each event."""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.billing.decide import TenantView
from compiler.billing.inbox.base import Key
from compiler.moves import Migration


@dataclass
class TenantWork:
    tenant: str
    file: str  # the tenant's file, relative to the repository
    text: str  # the file as the change starts from
    before: TenantView  # the tenant as that file says
    after: TenantView
    open_branch: str | None = None  # the billing/<tenant> commit while its PR is open
    base_view: TenantView | None = None  # the tenant on the base, when the branch differs
    applied: list[Key] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # event ids, for the trailers
    reasons: list[str] = field(default_factory=list)  # why, for the commit message
    migration: tuple[str, str] | None = None
    move: Migration | None = None  # the migration planned, once the edit is made

    @property
    def changes_business(self) -> bool:
        return self.after.business() != self.before.business()

    @property
    def needs_commit(self) -> bool:
        """A commit when what is provisioned or billed changes; bookkeeping alone (a newer
        event that says the same) only updates a pull request already open."""
        if self.after == self.before:
            return False
        return self.changes_business or self.open_branch is not None

    def headline(self) -> str:
        """What the pull request changes, against the base."""
        b, a = self.base_view or self.before, self.after
        parts = []
        if a.state != b.state:
            parts.append(f"{b.state} -> {a.state}")
        if a.plan != b.plan:
            parts.append(f"plan {b.plan} -> {a.plan}")
        if a.scheduled != b.scheduled and a.scheduled is not None:
            parts.append(f"{a.scheduled[0]} scheduled at {a.scheduled[1]}")
        if a.status != b.status:
            parts.append(f"subscription {b.status} -> {a.status}")
        return f"billing: {self.tenant} " + (", ".join(parts) or "billing details updated")

    def because(self) -> str:
        a = self.after
        if a.id is None:
            return "its scheduled plan change is due"
        since = f" since {a.since}" if a.since else ""
        return f"subscription {a.id} ({a.provider}) is {a.status}{since}"
