"""What both SQL inboxes do, in the SQL both speak; each store says only how it connects,
how it marks a parameter, and how it runs statements in one transaction."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

from compiler.billing import times
from compiler.billing.inbox.base import COLUMNS, STATES, Event, Inbox, Key, Stored

Rows = list[tuple[object, ...]]


class SqlInbox(Inbox):
    table: str
    mark: str  # how a parameter is written: "?" (sqlite3) or "%s" (psycopg)

    @abstractmethod
    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> list[int]:
        """Run `sql` once per row in one transaction; the rows each run changed."""

    @abstractmethod
    def _read(self, sql: str, params: tuple[object, ...]) -> Rows: ...

    def _sql(self, text: str) -> str:
        return text.replace("?", self.mark).replace("{table}", self.table)

    def store(self, items: Sequence[Stored]) -> list[bool]:
        now = times.now_text()
        sql = self._sql(
            "INSERT INTO {table} (provider, event_id, type, subscription, created, received, "
            "state, reason, updated) VALUES (?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (provider, event_id) DO NOTHING"
        )
        return [n == 1 for n in self._write(sql, [(*item.row(), now) for item in items])]

    def pending(self) -> list[Event]:
        return self._select("WHERE state = 'pending' ORDER BY created, provider, event_id", ())

    def listing(self, limit: int) -> list[Event]:
        return self._select("ORDER BY received DESC, provider, event_id LIMIT ?", (limit,))

    def _select(self, tail: str, params: tuple[object, ...]) -> list[Event]:
        rows = self._read(self._sql(f"SELECT {COLUMNS} FROM {{table}} {tail}"), params)
        return [Event.from_row(r) for r in rows]

    def settle(self, keys: Sequence[Key], state: str, reason: str, tenant: str | None) -> None:
        now = times.now_text()
        sql = self._sql(
            "UPDATE {table} SET state = ?, reason = ?, tenant = ?, updated = ? "
            "WHERE provider = ? AND event_id = ?"
        )
        self._write(sql, [(state, reason, tenant, now, p, e) for p, e in keys])

    def retry_later(self, keys: Sequence[Key], reason: str) -> None:
        now = times.now_text()
        sql = self._sql(
            "UPDATE {table} SET attempts = attempts + 1, reason = ?, updated = ? "
            "WHERE provider = ? AND event_id = ? AND state = 'pending'"
        )
        self._write(sql, [(reason, now, p, e) for p, e in keys])

    def counts(self) -> dict[str, int]:
        sql = self._sql("SELECT state, count(*) FROM {table} GROUP BY state")
        found = {str(state): count for state, count in self._read(sql, ())}
        return {state: int(str(found.get(state, 0))) for state in STATES}
