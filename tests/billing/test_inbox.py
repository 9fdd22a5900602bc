"""Both inboxes: stored once per provider and event id, states and reasons, counts; the
PostgreSQL one against the real server the suite starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.billing.inbox import Inbox, open_inbox
from compiler.billing.inbox.base import Stored
from compiler.billing.model import Notice
from compiler.errors import UsageError
from compiler.sandbox.postgres import SUPERUSER


def _stored(event: str, relevant: bool = True, provider: str = "stripe") -> Stored:
    notice = Notice(
        event, "customer.subscription.updated", "sub_1", "2026-01-01T00:00:00Z", relevant
    )
    return Stored(provider, notice, "2026-01-01T00:00:01Z")


def _exercise(inbox: Inbox) -> None:
    assert inbox.store([_stored("e1"), _stored("e1"), _stored("e2", False)]) == [True, False, True]
    assert inbox.store([_stored("e1", provider="orb")]) == [True]  # another provider's id
    assert inbox.counts() == {"pending": 2, "applied": 0, "ignored": 1, "failed": 0}
    inbox.retry_later([("stripe", "e1")], "Stripe's API did not answer usably (HTTP 503)")
    [orb, first] = inbox.pending()  # oldest first, then by provider
    assert (orb.provider, orb.attempts) == ("orb", 0)
    assert (first.event_id, first.attempts, first.reason) == (
        "e1",
        1,
        "Stripe's API did not answer usably (HTTP 503)",
    )
    inbox.settle([("stripe", "e1")], "applied", "proposed on billing/north", "north")
    inbox.settle([("orb", "e1")], "failed", "unknown tenant 'x'", None)
    assert inbox.counts() == {"pending": 0, "applied": 1, "ignored": 1, "failed": 1}
    states = {(e.provider, e.event_id): (e.state, e.tenant) for e in inbox.listing(10)}
    assert states[("stripe", "e1")] == ("applied", "north")


def test_sqlite_inbox(tmp_path: Path) -> None:
    inbox = open_inbox(None, tmp_path)
    try:
        _exercise(inbox)
    finally:
        inbox.close()
    assert (tmp_path / "billing-inbox.sqlite3").is_file()
    again = open_inbox(f"sqlite://{tmp_path / 'billing-inbox.sqlite3'}", tmp_path)
    assert again.counts()["applied"] == 1  # durable across processes
    again.close()


@pytest.mark.postgres
def test_postgres_inbox(pg) -> None:  # type: ignore[no-untyped-def]
    database = pg.new("inbox")
    url = f"postgresql://{SUPERUSER}@127.0.0.1:{database.server.port}/{database.name}"
    first, second = open_inbox(url, Path(".")), open_inbox(url, Path("."))
    try:
        _exercise(first)
        # A second receiver sharing the inbox stores a redelivery once.
        assert second.store([_stored("e1")]) == [False]
        assert second.counts() == first.counts()
    finally:
        first.close()
        second.close()


def test_unknown_inbox_scheme_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--inbox must be postgresql://"):
        open_inbox("mysql://u:secret@h/db", tmp_path)
