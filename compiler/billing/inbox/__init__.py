"""The durable inbox: every verified event once, keyed by provider and event id, with its
state (pending, applied, ignored, failed) and the reason. SQLite under `.paybill/` by
default; PostgreSQL (`--inbox postgresql://...`) for several receivers sharing one."""

from __future__ import annotations

from pathlib import Path

from compiler.billing.inbox.base import STATES, Event, Inbox, Stored
from compiler.errors import UsageError

__all__ = ["STATES", "Event", "Inbox", "Stored", "open_inbox"]

DEFAULT_FILE = "billing-inbox.sqlite3"


def open_inbox(url: str | None, state_folder: Path) -> Inbox:
    """The inbox at `url` (`postgresql://...`, `sqlite:///path`), or the default file."""
    if url is None or url.startswith("sqlite:"):
        from compiler.billing.inbox.sqlite import SqliteInbox  # noqa: PLC0415 (loaded only when used)

        path = Path(url[len("sqlite://") :]) if url else state_folder / DEFAULT_FILE
        return SqliteInbox(path)
    if url.startswith(("postgresql://", "postgres://")):
        from compiler.billing.inbox.postgres import PostgresInbox  # noqa: PLC0415 (loaded only when used)

        return PostgresInbox(url)
    raise UsageError(
        "--inbox must be postgresql://USER@HOST/DB or sqlite:///PATH (the scheme is shown "
        "here, never the rest of the address)"
    )
