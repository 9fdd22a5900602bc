"""A shared inbox in PostgreSQL, for a team that runs several receivers: the primary key on
(provider, event id) makes a redelivery to any of them a no-op."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import psycopg

from compiler.billing.inbox.sql import Rows, SqlInbox
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


class PostgresInbox(SqlInbox):
    table = "paybill_billing_events"
    mark = "%s"

    def __init__(self, dsn: str) -> None:
        try:
            self._db: psycopg.Connection[Any] = psycopg.connect(
                dsn, connect_timeout=10, autocommit=True
            )
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.table,))
                self._db.execute(SCHEMA)
        except psycopg.Error as exc:
            # psycopg's message may quote the address; only its first line, and never the DSN.
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise EnvironmentProblem(f"cannot open the PostgreSQL inbox: {reason}") from None
        self._lock = threading.Lock()

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> list[int]:
        with self._lock, self._db.transaction():
            return [self._db.execute(sql, row).rowcount for row in rows]

    def _read(self, sql: str, params: tuple[object, ...]) -> Rows:
        with self._lock, self._db.transaction():
            return list(self._db.execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()
