"""Refetch through each provider's client against a local server serving the documented API
shapes: what a subscription becomes in the spec's terms, pagination, not-found, retries."""

from __future__ import annotations

import pytest

from compiler.billing.model import NotFound, ProviderUnavailable
from compiler.billing.providers import make_provider
from tests.billing.conftest import settings, stripe_subscription
from tests.support.billing_api import ProviderApi, serve


def test_stripe_fetch_list_and_not_found(secrets: dict[str, str]) -> None:
    subs = {f"sub_{i}": stripe_subscription(f"sub_{i}", f"t{i}", "active") for i in range(150)}
    subs["sub_0"] = stripe_subscription(
        "sub_0",
        "t0",
        "past_due",
        latest_invoice={
            "object": "invoice",
            "created": 1_767_000_000,
            "status_transitions": {"finalized_at": 1_767_225_600},
        },
    )
    with serve(ProviderApi(stripe=subs)) as api:
        stripe = make_provider(settings("stripe", api.base))
        found = stripe.fetch("sub_0")
        listed = list(stripe.subscriptions())
        with pytest.raises(NotFound, match="Stripe has no subscription sub_x"):
            stripe.fetch("sub_x")
    assert (found.status, found.tenant, found.prices, found.since, found.period_end) == (
        "past_due",
        "t0",
        ("price_pro",),
        "2026-01-01T00:00:00Z",
        "2027-01-03T18:13:20Z",
    )
    assert len(listed) == 150
    assert sorted(s.id for s in listed) == sorted(subs)
    assert any("starting_after=" in r for r in api.requests)  # the second page was asked for


def test_stripe_retries_then_answers(secrets: dict[str, str]) -> None:
    api = ProviderApi(stripe={"sub_1": stripe_subscription("sub_1", "t1", "unpaid")})
    api.fail_next = 2
    with serve(api) as running:
        assert make_provider(settings("stripe", running.base)).fetch("sub_1").status == "unpaid"
    assert len(api.requests) == 3


def _lago(external_id: str, customer: str, **extra: object) -> dict[str, object]:
    return {
        "lago_id": f"l-{external_id}",
        "external_id": external_id,
        "external_customer_id": customer,
        "plan_code": "price_pro",
        "status": "active",
        "trial_ended_at": "2025-12-01T00:00:00Z",
        "current_billing_period_ending_at": "2026-02-01T00:00:00Z",
        **extra,
    }


def test_lago_fetch_overdue_scheduled_and_list(secrets: dict[str, str]) -> None:
    api = ProviderApi(
        lago={
            "ls_1": _lago(
                "ls_1", "north", next_plan_code="price_basic", downgrade_plan_date="2026-02-01"
            ),
            "ls_2": _lago(
                "ls_2", "south", status="terminated", terminated_at="2026-01-03T00:00:00Z"
            ),
        },
        lago_invoices=[
            {
                "external_customer_id": "north",
                "payment_due_date": "2026-01-04",
                "payment_overdue": True,
            },
        ],
    )
    with serve(api) as running:
        lago = make_provider(settings("lago", running.base))
        north = lago.fetch("ls_1")
        listed = {s.id: s for s in lago.subscriptions()}
        with pytest.raises(NotFound):
            lago.fetch("ls_9")
    assert (north.status, north.since, north.tenant) == (
        "past_due",
        "2026-01-04T00:00:00Z",
        "north",
    )
    assert (north.scheduled_price, north.scheduled_at) == ("price_basic", "2026-02-01T00:00:00Z")
    assert (listed["ls_2"].status, listed["ls_2"].since) == ("canceled", "2026-01-03T00:00:00Z")


def test_lago_down_is_unavailable_after_the_retries(
    secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = ProviderApi(lago={"ls_1": _lago("ls_1", "north")})
    api.fail_next = 10
    with serve(api) as running:
        lago = make_provider(settings("lago", running.base))
        with pytest.raises(ProviderUnavailable, match=r"HTTP 503 \(3 tries\)"):
            lago.fetch("ls_1")


def _orb(sub_id: str, tenant: str, **extra: object) -> dict[str, object]:
    return {
        "id": sub_id,
        "status": "active",
        "metadata": {"paybill_tenant": tenant},
        "plan": {"id": "plan_internal", "external_plan_id": "price_pro"},
        "current_billing_period_end_date": "2026-02-01T00:00:00+00:00",
        "trial_info": {"end_date": None},
        **extra,
    }


def test_orb_fetch_failed_payment_trial_and_list(secrets: dict[str, str]) -> None:
    api = ProviderApi(
        orb={
            "os_1": _orb("os_1", "north"),
            "os_2": _orb("os_2", "south", trial_info={"end_date": "2099-01-01T00:00:00+00:00"}),
            "os_3": _orb("os_3", "east", status="ended", end_date="2026-01-02T00:00:00+00:00"),
        },
        orb_invoices=[
            {
                "id": "inv_1",
                "subscription": {"id": "os_1"},
                "status": "issued",
                "payment_failed_at": "2026-01-06T12:00:00+00:00",
            },
        ],
    )
    with serve(api) as running:
        orb = make_provider(settings("orb", running.base))
        north = orb.fetch("os_1")
        listed = {s.id: s for s in orb.subscriptions()}
    assert (north.status, north.since, north.prices) == (
        "past_due",
        "2026-01-06T12:00:00Z",
        ("price_pro",),
    )
    assert listed["os_2"].status == "trialing"
    assert (listed["os_3"].status, listed["os_3"].since) == ("canceled", "2026-01-02T00:00:00Z")
