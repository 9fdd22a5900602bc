"""The default inbox: one SQLite file, in WAL mode (readers never block the one writer),
synchronous=FULL so that an acknowledged event survives a power cut."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from compiler.billing import times
from compiler.billing.inbox.base import COLUMNS, STATES, Event, Inbox, Key, Stored
from compiler.errors import EnvironmentProblem

SCHEMA = """
CREATE TABLE IF NOT EXISTS billing_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    subscription TEXT NOT NULL,
    created TEXT NOT NULL,
    received TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    tenant TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX IF NOT EXISTS billing_events_state ON billing_events (state, created);
"""


class SqliteInbox(Inbox):
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise EnvironmentProblem(f"cannot open the inbox {path}: {exc}") from None
        self._lock = threading.Lock()  # one connection, used by one thread at a time

    def store(self, items: Sequence[Stored]) -> list[bool]:
        now = times.now_text()
        out = []
        with self._lock, self._db:
            for item in items:
                cursor = self._db.execute(
                    "INSERT INTO billing_events (provider, event_id, type, subscription, "
                    "created, received, state, reason, updated) VALUES (?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT (provider, event_id) DO NOTHING",
                    (*item.row(), now),
                )
                out.append(cursor.rowcount == 1)
        return out

    def pending(self) -> list[Event]:
        return self._select("WHERE state = 'pending' ORDER BY created, provider, event_id", ())

    def listing(self, limit: int) -> list[Event]:
        return self._select("ORDER BY received DESC, provider, event_id LIMIT ?", (limit,))

    def _select(self, tail: str, params: tuple[object, ...]) -> list[Event]:
        with self._lock:
            rows = self._db.execute(f"SELECT {COLUMNS} FROM billing_events {tail}", params)
            return [Event.from_row(r) for r in rows.fetchall()]

    def settle(self, keys: Sequence[Key], state: str, reason: str, tenant: str | None) -> None:
        now = times.now_text()
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE billing_events SET state = ?, reason = ?, tenant = ?, updated = ? "
                "WHERE provider = ? AND event_id = ?",
                [(state, reason, tenant, now, p, e) for p, e in keys],
            )

    def retry_later(self, keys: Sequence[Key], reason: str) -> None:
        now = times.now_text()
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE billing_events SET attempts = attempts + 1, reason = ?, updated = ? "
                "WHERE provider = ? AND event_id = ? AND state = 'pending'",
                [(reason, now, p, e) for p, e in keys],
            )

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, count(*) FROM billing_events GROUP BY state")
            found = dict(rows.fetchall())
        return {state: int(found.get(state, 0)) for state in STATES}

    def close(self) -> None:
        with self._lock:
            self._db.close()
