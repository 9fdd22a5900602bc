"""The receiver: verify on the raw body with the provider's SDK, then store once; every
refusal stores nothing, and no secret reaches a response or a log."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from httpx import Client

from compiler.billing.inbox.sqlite import SqliteInbox
from compiler.billing.providers import make_provider
from compiler.billing.receive import MAX_BODY, create_app
from tests.billing.conftest import (
    LAGO_HMAC,
    ORB_SECRET,
    STRIPE_SECRET,
    settings,
    stripe_event,
    stripe_subscription,
)
from tests.support.billing_receiver import running
from tests.support.billing_sign import (
    body_of,
    lago_hmac_headers,
    lago_jwt_headers,
    lago_keys,
    orb_headers,
    stripe_headers,
)


@pytest.fixture
def client(secrets: dict[str, str], inbox: SqliteInbox) -> Iterator[Client]:
    providers = {k: make_provider(settings(k)) for k in ("stripe", "orb", "lago")}
    with running(create_app(providers, inbox)) as test_client:
        yield test_client


def _stripe_body(event_id: str = "evt_1", kind: str = "customer.subscription.updated") -> bytes:
    return body_of(stripe_event(event_id, kind, stripe_subscription("sub_1", "globex", "unpaid")))


def test_stripe_event_is_stored_once(client: Client, inbox: SqliteInbox) -> None:
    body = _stripe_body()
    first = client.post(
        "/webhooks/stripe", content=body, headers=stripe_headers(body, STRIPE_SECRET)
    )
    again = client.post(
        "/webhooks/stripe", content=body, headers=stripe_headers(body, STRIPE_SECRET)
    )
    assert (first.status_code, first.json()) == (200, {"event": "evt_1", "stored": True})
    assert (again.status_code, again.json()) == (200, {"event": "evt_1", "stored": False})
    [event] = inbox.pending()
    assert (event.provider, event.event_id, event.subscription, event.created) == (
        "stripe",
        "evt_1",
        "sub_1",
        "2025-12-29T09:20:00Z",
    )
    assert inbox.counts() == {"pending": 1, "applied": 0, "ignored": 0, "failed": 0}


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        (lambda b: stripe_headers(b, "whsec_wrong"), "does not verify"),
        (lambda b: stripe_headers(b, STRIPE_SECRET, time.time() - 301), "does not verify"),
        (lambda b: {}, "no Stripe-Signature header"),
        (lambda b: stripe_headers(b + b" ", STRIPE_SECRET), "does not verify"),
    ],
    ids=["wrong-secret", "stale", "missing", "other-body"],
)
def test_stripe_bad_signature_is_refused_and_nothing_stored(
    client: Client, inbox: SqliteInbox, headers, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = _stripe_body()
    with caplog.at_level(logging.INFO, "paybill.billing"):
        answer = client.post("/webhooks/stripe", content=body, headers=headers(body))
    assert answer.status_code == 400
    assert said in answer.json()["error"]
    assert inbox.counts()["pending"] == 0
    assert inbox.listing(10) == []
    assert STRIPE_SECRET not in answer.text + caplog.text


def test_body_over_one_mib_is_413(client: Client, inbox: SqliteInbox) -> None:
    body = b"{" + b" " * MAX_BODY + b"}"
    answer = client.post(
        "/webhooks/stripe", content=body, headers=stripe_headers(body, STRIPE_SECRET)
    )
    assert answer.status_code == 413
    assert inbox.listing(10) == []


def test_malformed_json_after_a_valid_signature_is_refused(
    client: Client, inbox: SqliteInbox
) -> None:
    for body in (b"{not json", b"[1, 2]", body_of({"id": "evt_9", "type": "x"})):
        answer = client.post(
            "/webhooks/stripe", content=body, headers=stripe_headers(body, STRIPE_SECRET)
        )
        assert answer.status_code == 400, body
        assert answer.json()["error"].startswith("malformed: ")
    assert inbox.listing(10) == []


def test_unknown_event_type_is_acknowledged_and_stored_as_ignored(
    client: Client, inbox: SqliteInbox
) -> None:
    body = _stripe_body("evt_2", "charge.refunded")
    answer = client.post(
        "/webhooks/stripe", content=body, headers=stripe_headers(body, STRIPE_SECRET)
    )
    assert answer.status_code == 200
    [event] = inbox.listing(10)
    assert (event.state, event.reason) == ("ignored", "event type charge.refunded changes nothing")


def test_unknown_provider_is_404(client: Client) -> None:
    assert client.post("/webhooks/paddle", content=b"{}").status_code == 404
    assert client.get("/healthz").json() == {"ok": True, "providers": ["lago", "orb", "stripe"]}


def _orb_body(event_id: str = "orb_evt_1") -> bytes:
    return body_of(
        {
            "id": event_id,
            "type": "subscription.plan_changed",
            "created_at": "2026-01-05T10:00:00+00:00",
            "subscription": {"id": "orb_sub_1"},
            "properties": {},
        }
    )


def test_orb_signatures(client: Client, inbox: SqliteInbox) -> None:
    body = _orb_body()
    good = client.post("/webhooks/orb", content=body, headers=orb_headers(body, ORB_SECRET))
    wrong = client.post("/webhooks/orb", content=body, headers=orb_headers(body, "nope"))
    stale_at = datetime.now(UTC) - timedelta(minutes=6)
    stale = client.post(
        "/webhooks/orb", content=body, headers=orb_headers(body, ORB_SECRET, stale_at)
    )
    assert [good.status_code, wrong.status_code, stale.status_code] == [200, 400, 400]
    assert "too old" in stale.json()["error"]
    [event] = inbox.listing(10)
    assert (event.event_id, event.subscription, event.created) == (
        "orb_evt_1",
        "orb_sub_1",
        "2026-01-05T10:00:00Z",
    )


def _lago_body() -> bytes:
    return body_of(
        {
            "webhook_type": "subscription.terminated",
            "object_type": "subscription",
            "subscription": {"external_id": "lago_sub_1", "status": "terminated"},
        }
    )


def test_lago_hmac_signature(client: Client, inbox: SqliteInbox) -> None:
    body = _lago_body()
    good = client.post(
        "/webhooks/lago", content=body, headers=lago_hmac_headers(body, LAGO_HMAC, "u1")
    )
    again = client.post(
        "/webhooks/lago", content=body, headers=lago_hmac_headers(body, LAGO_HMAC, "u1")
    )
    bad = client.post(
        "/webhooks/lago", content=body, headers=lago_hmac_headers(body, "other", "u2")
    )
    assert [good.status_code, again.json()["stored"], bad.status_code] == [200, False, 400]
    [event] = inbox.listing(10)
    assert (event.event_id, event.subscription) == ("u1", "lago_sub_1")


def test_lago_jwt_signature_and_no_algorithm_confusion(
    secrets: dict[str, str], inbox: SqliteInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    private, public = lago_keys()
    monkeypatch.setenv("TEST_LAGO_WEBHOOK", public)
    app = create_app({"lago": make_provider(settings("lago"))}, inbox)
    body = _lago_body()
    with running(app) as client:
        good = client.post(
            "/webhooks/lago", content=body, headers=lago_jwt_headers(body, private, "j1")
        )
        other_body = client.post(
            "/webhooks/lago", content=body + b" ", headers=lago_jwt_headers(body, private, "j2")
        )
        other_key, _ = lago_keys()
        forged = client.post(
            "/webhooks/lago", content=body, headers=lago_jwt_headers(body, other_key, "j3")
        )
        # An HMAC made with the public key (which is not secret) must not pass.
        confused = client.post(
            "/webhooks/lago", content=body, headers=lago_hmac_headers(body, public, "j4")
        )
    assert [good.status_code, other_body.status_code, forged.status_code] == [200, 400, 400]
    assert confused.status_code == 400
    assert "secret is a JWT public key" in confused.json()["error"]
    assert [e.event_id for e in inbox.listing(10)] == ["j1"]


def test_inbox_down_answers_503_so_the_provider_delivers_again(
    secrets: dict[str, str], tmp_path
) -> None:
    broken = SqliteInbox(tmp_path / "broken.sqlite3")
    broken.close()  # every store now raises
    app = create_app({"stripe": make_provider(settings("stripe"))}, broken)
    body = _stripe_body()
    with running(app) as client:
        answer = client.post(
            "/webhooks/stripe", content=body, headers=stripe_headers(body, STRIPE_SECRET)
        )
    assert answer.status_code == 503
