"""A shared inbox in PostgreSQL, for a team that runs several receivers: the primary key on
(provider, event id) makes a redelivery to any of them a no-op."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import psycopg

from compiler.billing import times
from compiler.billing.inbox.base import COLUMNS, STATES, Event, Inbox, Key, Stored
from compiler.errors import EnvironmentProblem

SCHEMA = """
CREATE TABLE IF NOT EXISTS paybill_billing_events (
    provider text NOT NULL,
    event_id text NOT NULL,
    type text NOT NULL,
    subscription text NOT NULL,
    created text NOT NULL,
    received text NOT NULL,
    state text NOT NULL,
    reason text NOT NULL,
    tenant text,
    attempts integer NOT NULL DEFAULT 0,
    updated text NOT NULL,
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX IF NOT EXISTS paybill_billing_events_state
    ON paybill_billing_events (state, created);
"""
TABLE = "paybill_billing_events"


class PostgresInbox(Inbox):
    def __init__(self, dsn: str) -> None:
        try:
            self._db: psycopg.Connection[Any] = psycopg.connect(
                dsn, connect_timeout=10, autocommit=True
            )
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (TABLE,))
                self._db.execute(SCHEMA)
        except psycopg.Error as exc:
            # psycopg's message may quote the address; only its first line, and never the DSN.
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise EnvironmentProblem(f"cannot open the PostgreSQL inbox: {reason}") from None
        self._lock = threading.Lock()

    def store(self, items: Sequence[Stored]) -> list[bool]:
        now = times.now_text()
        out = []
        with self._lock, self._db.transaction():
            for item in items:
                cursor = self._db.execute(
                    f"INSERT INTO {TABLE} (provider, event_id, type, subscription, created, "
                    "received, state, reason, updated) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                    "ON CONFLICT (provider, event_id) DO NOTHING",
                    (*item.row(), now),
                )
                out.append(cursor.rowcount == 1)
        return out

    def pending(self) -> list[Event]:
        return self._select("WHERE state = 'pending' ORDER BY created, provider, event_id", ())

    def listing(self, limit: int) -> list[Event]:
        return self._select("ORDER BY received DESC, provider, event_id LIMIT %s", (limit,))

    def _select(self, tail: str, params: tuple[object, ...]) -> list[Event]:
        with self._lock, self._db.transaction():
            rows = self._db.execute(f"SELECT {COLUMNS} FROM {TABLE} {tail}", params).fetchall()
        return [Event.from_row(r) for r in rows]

    def settle(self, keys: Sequence[Key], state: str, reason: str, tenant: str | None) -> None:
        now = times.now_text()
        with self._lock, self._db.transaction(), self._db.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {TABLE} SET state = %s, reason = %s, tenant = %s, updated = %s "
                "WHERE provider = %s AND event_id = %s",
                [(state, reason, tenant, now, p, e) for p, e in keys],
            )

    def retry_later(self, keys: Sequence[Key], reason: str) -> None:
        now = times.now_text()
        with self._lock, self._db.transaction(), self._db.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {TABLE} SET attempts = attempts + 1, reason = %s, updated = %s "
                "WHERE provider = %s AND event_id = %s AND state = 'pending'",
                [(reason, now, p, e) for p, e in keys],
            )

    def counts(self) -> dict[str, int]:
        with self._lock, self._db.transaction():
            rows = self._db.execute(f"SELECT state, count(*) FROM {TABLE} GROUP BY state")
            found = dict(rows.fetchall())
        return {state: int(found.get(state, 0)) for state in STATES}

    def close(self) -> None:
        with self._lock:
            self._db.close()
