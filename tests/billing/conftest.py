"""Billing fixtures: provider settings with secrets in the environment, the inbox, events."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compiler.billing.config import Policy, ProviderSettings
from compiler.billing.inbox.base import Stored
from compiler.billing.inbox.sqlite import SqliteInbox
from compiler.billing.model import Notice
from tests.billing.repo import make_repository

STRIPE_SECRET = "whsec_test_0123456789abcdef"
ORB_SECRET = "orb-webhook-secret-0123456789"
LAGO_HMAC = "lago-hmac-key-0123456789"
PLANS = {"price_basic": "starter", "price_pro": "pro", "price_ent": "enterprise"}


def settings(
    kind: str, base: str = "http://127.0.0.1:9", name: str | None = None
) -> ProviderSettings:
    upper = kind.upper()
    return ProviderSettings(
        name=name or kind,
        type=kind,
        webhook_secret_variable=f"TEST_{upper}_WEBHOOK",
        api_key_variable=f"TEST_{upper}_API",
        tenant_key="external_customer_id" if kind == "lago" else "metadata.paybill_tenant",
        plans=PLANS,
        api_base=base,
        policy=Policy(timeout=2.0, retries=2),
    )


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's spec with a Stripe provider, compiled and committed (copy it)."""
    return make_repository(tmp_path_factory.mktemp("billing") / "platform")


@pytest.fixture
def repo(platform: Path, tmp_path: Path) -> Path:
    """A copy of the platform repository, for a test to change."""
    target = tmp_path / "platform"
    shutil.copytree(platform, target)
    return target


def store_event(
    inbox: SqliteInbox, event: str, sub: str, created: str = "2026-01-10T00:00:00Z"
) -> None:
    """A pending Stripe event about subscription `sub`, as the receiver stores it."""
    notice = Notice(event, "customer.subscription.updated", sub, created, True)
    inbox.store([Stored("stripe", notice, created)])


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "TEST_STRIPE_WEBHOOK": STRIPE_SECRET,
        "TEST_STRIPE_API": "sk_test_123",
        "TEST_ORB_WEBHOOK": ORB_SECRET,
        "TEST_ORB_API": "orb_test_123",
        "TEST_LAGO_WEBHOOK": LAGO_HMAC,
        "TEST_LAGO_API": "lago_test_123",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[SqliteInbox]:
    store = SqliteInbox(tmp_path / "inbox.sqlite3")
    yield store
    store.close()


def stripe_event(
    event_id: str, kind: str, sub: dict[str, Any], created: int = 1_767_000_000
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": created,
        "data": {"object": sub},
    }


def stripe_subscription(
    sub_id: str, tenant: str, status: str, price: str = "price_pro", **extra: Any
) -> dict[str, Any]:
    return {
        "id": sub_id,
        "object": "subscription",
        "status": status,
        "metadata": {"paybill_tenant": tenant},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{sub_id}",
                    "object": "subscription_item",
                    "price": {"id": price, "object": "price"},
                    "current_period_end": 1_799_000_000,
                }
            ],
        },
        **extra,
    }
