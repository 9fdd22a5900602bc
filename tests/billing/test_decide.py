"""The ladder, the grace period, upgrades now and downgrades at period end, migrations, and
news that never applies."""

from __future__ import annotations

import pytest

from compiler.billing.decide import PlanTerms, TenantView, decide, due
from compiler.billing.model import Snapshot

PLANS = {
    "starter": PlanTerms("starter", "pooled", 3, (("seats", 10),), frozenset({"sso"})),
    "pro": PlanTerms("pro", "pooled", 7, (("seats", 200),), frozenset({"sso", "audit"})),
    "big": PlanTerms("big", "bridge", 7, (("seats", None),), frozenset({"sso", "audit"})),
}
PRICES = {"p_starter": "starter", "p_pro": "pro", "p_big": "big"}
POOLS = {"eu-central-1": ("eu-shared",)}
NOW = "2026-01-20T00:00:00Z"
NORTH = TenantView("north", "pro", "active", "active", "eu-shared", "eu-central-1")


def news(status: str, price: str = "p_pro", **extra: object) -> Snapshot:
    return Snapshot("stripe", "sub_1", status, status, "north", (price,), **extra)  # type: ignore[arg-type]


def run(tenant: TenantView, snapshot: Snapshot, when: str = "2026-01-15T00:00:00Z"):
    return decide(tenant, snapshot, when, "evt_1", PLANS, PRICES, POOLS, NOW)


@pytest.mark.parametrize(
    ("status", "since", "state"),
    [
        ("trialing", None, "active"),
        ("active", None, "active"),
        ("past_due", "2026-01-15T00:00:00Z", "active"),  # 5 of 7 days' grace
        ("past_due", "2026-01-13T00:00:00Z", "suspended"),  # grace ended on the 20th
        ("unpaid", None, "suspended"),
        ("paused", None, "suspended"),
        ("canceled", None, "offboarding"),
    ],
)
def test_ladder(status: str, since: str | None, state: str) -> None:
    decision = run(NORTH, news(status, since=since))
    assert decision.outcome == "apply"
    assert decision.after is not None
    assert (decision.after.status, decision.after.state) == (status, state)
    assert (decision.after.as_of, decision.after.event) == ("2026-01-15T00:00:00Z", "evt_1")


def test_back_to_active_and_pending_stays_pending_until_paid() -> None:
    suspended = TenantView("north", "pro", "suspended", "unpaid", "eu-shared", "eu-central-1")
    assert run(suspended, news("active")).after.state == "active"  # type: ignore[union-attr]
    pending = TenantView("north", "pro", "pending", "trialing", "eu-shared", "eu-central-1")
    assert run(pending, news("unpaid")).after.state == "pending"  # type: ignore[union-attr]
    assert run(pending, news("active")).after.state == "active"  # type: ignore[union-attr]


def test_older_news_and_deleted_tenants_are_ignored() -> None:
    seen = TenantView("north", "pro", "active", "active", "eu-shared", "eu-central-1", as_of=NOW)
    assert run(seen, news("unpaid"), NOW).reason == f"older than the tenant's asOf {NOW}"
    gone = TenantView("north", "pro", "deleted", "canceled", None, "eu-central-1")
    assert run(gone, news("active")).outcome == "ignore"
    assert run(NORTH, news("incomplete")).reason == "subscription sub_1 is incomplete: not started"


def test_upgrade_now_downgrade_at_period_end_then_due() -> None:
    up = run(
        TenantView("north", "starter", "active", "active", "eu-shared", "eu-central-1"),
        news("active"),
    )
    assert (up.after.plan, up.after.scheduled) == ("pro", None)  # type: ignore[union-attr]
    end = "2026-02-01T00:00:00Z"
    down = run(NORTH, news("active", "p_starter", period_end=end))
    assert down.after is not None
    assert (down.after.plan, down.after.scheduled) == ("pro", ("starter", end))
    assert due(down.after, PLANS, POOLS, NOW) is None  # not yet
    applied = due(down.after, PLANS, POOLS, end)
    assert applied is not None
    assert applied.after is not None
    assert (applied.after.plan, applied.after.scheduled) == ("starter", None)


def test_isolation_change_is_a_migration_and_unknown_prices_fail() -> None:
    moved = run(NORTH, news("active", "p_big"))
    assert (moved.outcome, moved.migration) == ("apply", ("pooled", "bridge"))
    unknown = run(NORTH, news("active", "p_gold"))
    assert unknown.outcome == "fail"
    assert unknown.reason == (
        "unknown price or plan code of subscription sub_1 (p_gold): map it to a Plan in "
        "BillingProvider/stripe spec.plans"
    )


def test_a_plan_that_needs_a_pool_gets_the_regions_pool_or_fails() -> None:
    silo_like = TenantView("north", "big", "active", "active", None, "eu-central-1")
    assert run(silo_like, news("active", "p_pro")).after.pool == "eu-shared"  # type: ignore[union-attr]
    far = TenantView("north", "big", "active", "active", None, "us-east-1")
    failed = run(far, news("active", "p_pro"))
    assert failed.reason == (
        "plan 'pro' is pooled, but the platform has no pool in us-east-1 for tenant 'north'"
    )


def test_a_canceled_subscription_only_comes_back_as_active() -> None:
    leaving = TenantView("north", "pro", "offboarding", "canceled", "eu-shared", "eu-central-1")
    back = run(leaving, news("active"))
    assert (back.after.state, back.after.status) == ("active", "active")  # type: ignore[union-attr]
    late = run(leaving, news("past_due", since="2025-12-01T00:00:00Z"))
    assert late.outcome == "fail"
    assert late.reason.startswith("tenant 'north' is offboarding with a canceled subscription")


def test_a_provider_scheduled_change_is_kept_and_an_unknown_code_fails() -> None:
    lago = news("active", scheduled_price="p_starter", scheduled_at="2026-02-01T00:00:00Z")
    kept = run(NORTH, lago)
    assert kept.after is not None
    assert (kept.after.plan, kept.after.scheduled) == ("pro", ("starter", "2026-02-01T00:00:00Z"))
    unknown = run(
        NORTH, news("active", scheduled_price="gold", scheduled_at="2026-02-01T00:00:00Z")
    )
    assert unknown.reason == (
        "unknown plan code gold scheduled for subscription sub_1: map it to a Plan in "
        "BillingProvider/stripe spec.plans"
    )
