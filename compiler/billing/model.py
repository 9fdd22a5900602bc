"""What the billing pipeline passes between its stages, provider-neutral."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.errors import PaybillError

# What the spec's subscription.status can be, and what a provider may report besides:
# `incomplete` (not started: the first payment or the start date is still ahead).
STATUSES = ("trialing", "active", "past_due", "unpaid", "paused", "canceled")
NOT_STARTED = "incomplete"


@dataclass(frozen=True, slots=True)
class Notice:
    """What the receiver keeps of a verified event: never the body (it may carry personal
    data, and the subscription is fetched again anyway)."""

    event_id: str
    type: str
    subscription: str | None  # the subscription it is about, when it names one
    created: str  # the provider's time of the event (UTC text), or the time received
    relevant: bool  # a type that can change a subscription; others are stored as ignored


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A subscription as the provider's API returns it now, in the spec's terms."""

    provider: str  # the BillingProvider's name
    id: str
    status: str  # one of STATUSES, or NOT_STARTED
    raw_status: str  # the provider's own word, for messages
    tenant: str | None  # the value at the provider's tenantKey
    prices: tuple[str, ...]  # price or plan codes, in the provider's order
    period_end: str | None = None  # end of the period paid for
    since: str | None = None  # when it entered its status (the first failed payment)
    scheduled_price: str | None = None  # a change the provider itself schedules (Lago)
    scheduled_at: str | None = None


class Refused(PaybillError):
    """A delivery that is not provably from the provider (bad, missing or stale signature).
    The message never holds a secret."""


class Malformed(PaybillError):
    """A verified body that is not the provider's event shape."""


class ProviderUnavailable(PaybillError):
    """The provider's API did not answer usably after the retries: the event stays pending."""

    exit_code = 3


class NotFound(PaybillError):
    """The provider does not know the subscription."""
