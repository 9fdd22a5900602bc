"""The default inbox: one SQLite file, in WAL mode (readers never block the one writer),
synchronous=FULL so that an acknowledged event survives a power cut."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from compiler.billing.inbox.sql import Rows, SqlInbox
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


class SqliteInbox(SqlInbox):
    table = "billing_events"
    mark = "?"

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

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> list[int]:
        with self._lock, self._db:
            return [self._db.execute(sql, row).rowcount for row in rows]

    def _read(self, sql: str, params: tuple[object, ...]) -> Rows:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()
