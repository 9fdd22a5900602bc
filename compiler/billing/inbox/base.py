"""The inbox's records and the operations both stores share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from compiler.billing.model import Notice

STATES = ("pending", "applied", "ignored", "failed")
Key = tuple[str, str]  # (provider, event id)

COLUMNS = (
    "provider, event_id, type, subscription, created, received, state, reason, tenant, attempts"
)


@dataclass(frozen=True, slots=True)
class Stored:
    """One event to store: the BillingProvider's name, what was read, and when."""

    provider: str
    notice: Notice
    received: str

    @property
    def state(self) -> str:
        return "pending" if self.notice.relevant else "ignored"

    @property
    def reason(self) -> str:
        return "" if self.notice.relevant else f"event type {self.notice.type} changes nothing"

    def row(self) -> tuple[str, ...]:
        n = self.notice
        return (
            self.provider,
            n.event_id,
            n.type,
            n.subscription or "",
            n.created,
            self.received,
            self.state,
            self.reason,
        )


@dataclass(frozen=True, slots=True)
class Event:
    provider: str
    event_id: str
    type: str
    subscription: str | None
    created: str
    received: str
    state: str
    reason: str
    tenant: str | None
    attempts: int

    @property
    def key(self) -> Key:
        return (self.provider, self.event_id)

    @classmethod
    def from_row(cls, row: Sequence[object]) -> Event:
        p, e, t, s, c, r, state, reason, tenant, attempts = row
        return cls(
            str(p),
            str(e),
            str(t),
            str(s) or None,
            str(c),
            str(r),
            str(state),
            str(reason),
            str(tenant) if tenant else None,
            int(attempts),  # type: ignore[call-overload]
        )


class Inbox(ABC):
    @abstractmethod
    def store(self, items: Sequence[Stored]) -> list[bool]:
        """Store every item in one transaction; True for each that is new, False for a
        redelivery (already stored, left as it was). Returns once committed."""

    @abstractmethod
    def pending(self) -> list[Event]:
        """Pending events, oldest first."""

    @abstractmethod
    def settle(self, keys: Sequence[Key], state: str, reason: str, tenant: str | None) -> None:
        """Mark events applied, ignored or failed, with the reason."""

    @abstractmethod
    def retry_later(self, keys: Sequence[Key], reason: str) -> None:
        """Keep events pending, counting the attempt and saying why it did not finish."""

    @abstractmethod
    def listing(self, limit: int) -> list[Event]:
        """The newest events, newest first."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Events per state (every state, zero included)."""

    @abstractmethod
    def close(self) -> None: ...
