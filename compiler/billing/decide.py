"""What billing news does to one tenant: pure, so every rule is tested without a provider.

The ladder: trialing/active -> active; past_due -> active until the plan's gracePeriodDays
after the first failed payment, then suspended; unpaid/paused -> suspended; canceled ->
offboarding (never deleted); back to active -> active. A pending tenant stays pending
until it is paid for. Upgrades apply now; a change that takes anything away waits for the
end of the period paid for (`subscription.scheduled`). News older than the tenant's `asOf`
never applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from compiler.billing import times
from compiler.billing.model import NOT_STARTED, Snapshot

SUSPENDING = frozenset({"unpaid", "paused"})


@dataclass(frozen=True)
class PlanTerms:
    """What a plan grants, to tell an upgrade from a downgrade."""

    name: str
    isolation: str
    grace_days: int
    limits: tuple[tuple[str, int | None], ...]  # None: unlimited
    features: frozenset[str]

    def takes_away_from(self, other: PlanTerms) -> bool:
        """Whether moving from `other` to this plan loses a feature or lowers a limit."""
        if not other.features <= self.features:
            return True
        mine = dict(self.limits)
        for key, theirs in other.limits:
            new = mine.get(key)
            if theirs is None and new is not None:
                return True
            if theirs is not None and new is not None and new < theirs:
                return True
        return False


@dataclass(frozen=True)
class TenantView:
    """The billing-relevant fields of a tenant as its file says them now."""

    name: str
    plan: str
    state: str
    status: str
    pool: str | None
    region: str
    provider: str | None = None
    id: str | None = None
    as_of: str | None = None
    event: str | None = None
    since: str | None = None
    scheduled: tuple[str, str] | None = None  # (plan, at)
    own_network: bool = False  # the file gives the tenant a network (silo only)

    def business(self) -> tuple[object, ...]:
        """What is provisioned and billed, without the bookkeeping of which event said so."""
        return (self.plan, self.state, self.status, self.pool, self.scheduled, self.id)


@dataclass(frozen=True)
class Decision:
    outcome: str  # "apply" | "ignore" | "fail"
    reason: str
    after: TenantView | None = None
    migration: tuple[str, str] | None = None  # (from, to) isolation of a plan change


def decide(
    tenant: TenantView,
    news: Snapshot,
    news_time: str,
    event: str,
    plans: Mapping[str, PlanTerms],
    price_plans: Mapping[str, str],
    pools_by_region: Mapping[str, tuple[str, ...]],
    now: str,
) -> Decision:
    """The tenant after `news` (the subscription as fetched, as of `news_time`)."""
    if tenant.state == "deleted":
        return Decision("ignore", f"tenant '{tenant.name}' is deleted")
    if tenant.as_of is not None and news_time <= tenant.as_of:
        return Decision("ignore", f"older than the tenant's asOf {tenant.as_of}")
    if news.status == NOT_STARTED:
        return Decision("ignore", f"subscription {news.id} is {news.raw_status}: not started")
    if tenant.status == "canceled" and news.status not in ("active", "canceled"):
        return Decision(
            "fail",
            f"tenant '{tenant.name}' is {tenant.state} with a canceled subscription, and "
            f"subscription {news.id} is {news.status} again: a canceled subscription may only "
            "become active in one step; reactivate the tenant by hand",
        )
    plan = _plan_of(news, price_plans)
    if plan is None:
        codes = ", ".join(news.prices) or "none"
        return Decision(
            "fail",
            f"unknown price or plan code of subscription {news.id} ({codes}): map it to a "
            f"Plan in BillingProvider/{news.provider} spec.plans",
        )
    later = price_plans.get(news.scheduled_price) if news.scheduled_price else None
    if news.scheduled_price and later is None:
        return Decision(
            "fail",
            f"unknown plan code {news.scheduled_price} scheduled for subscription {news.id}: "
            f"map it to a Plan in BillingProvider/{news.provider} spec.plans",
        )
    since = news.since or (tenant.since if news.status == tenant.status else news_time)
    after = replace(
        tenant,
        status=news.status,
        provider=news.provider,
        id=news.id,
        as_of=news_time,
        event=event,
        since=since,
    )
    after = _with_plan(after, tenant, plan, news, plans, now, later)
    after = replace(after, state=_state(after, plans[after.plan], now))
    return _placed(after, tenant, plans, pools_by_region)


def due(
    tenant: TenantView,
    plans: Mapping[str, PlanTerms],
    pools_by_region: Mapping[str, tuple[str, ...]],
    now: str,
) -> Decision | None:
    """The tenant once its scheduled downgrade is due (None when nothing is due)."""
    if tenant.scheduled is None or tenant.scheduled[1] > now or tenant.state == "deleted":
        return None
    after = replace(tenant, plan=tenant.scheduled[0], scheduled=None)
    return _placed(after, tenant, plans, pools_by_region)


def _plan_of(news: Snapshot, price_plans: Mapping[str, str]) -> str | None:
    return next((price_plans[p] for p in news.prices if p in price_plans), None)


def _with_plan(
    after: TenantView,
    before: TenantView,
    plan: str,
    news: Snapshot,
    plans: Mapping[str, PlanTerms],
    now: str,
    later: str | None,
) -> TenantView:
    """Upgrades now; downgrades at the end of the period paid for."""
    if later is not None and news.scheduled_at:  # the provider schedules the change (Lago)
        return replace(after, plan=plan, scheduled=(later, news.scheduled_at))
    if plan == before.plan:
        return replace(after, scheduled=None)
    if news.status == "canceled":
        return replace(after, scheduled=None)
    takes_away = plans[plan].takes_away_from(plans[before.plan])
    end = news.period_end
    if takes_away and end is not None and end > now:
        return replace(after, plan=before.plan, scheduled=(plan, end))
    return replace(after, plan=plan, scheduled=None)


def _state(after: TenantView, plan: PlanTerms, now: str) -> str:
    status, state = after.status, after.state
    if status == "canceled":
        return "offboarding"
    if state == "pending" and status not in ("active", "trialing"):
        return "pending"
    if status in ("active", "trialing"):
        return "active"
    if status in SUSPENDING:
        return "suspended"
    # past_due: the grace period runs from the first failed payment
    first_failure = after.since or after.as_of or now
    grace_ends = times.plus_days(first_failure, plan.grace_days)
    return "suspended" if now >= grace_ends else "active"


def _placed(
    after: TenantView,
    before: TenantView,
    plans: Mapping[str, PlanTerms],
    pools_by_region: Mapping[str, tuple[str, ...]],
) -> Decision:
    """Give the tenant the pool its plan's isolation needs, and say whether the plan change
    is a migration (another isolation model moves the tenant's data)."""
    isolation = plans[after.plan].isolation
    old = plans[before.plan].isolation if before.plan in plans else isolation
    # A silo tenant has no pool; only a silo tenant has a network of its own.
    after = replace(after, pool=None) if isolation == "silo" else replace(after, own_network=False)
    if isolation != "silo" and after.pool is None:
        pools = pools_by_region.get(after.region, ())
        if not pools:
            return Decision(
                "fail",
                f"plan '{after.plan}' is {isolation}, but the platform has no pool in "
                f"{after.region} for tenant '{after.name}'",
            )
        after = replace(after, pool=pools[0])
    migration = (old, isolation) if old != isolation else None
    return Decision("apply", "", after, migration)
