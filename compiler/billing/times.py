"""Times as the spec writes them: RFC 3339 in UTC to the second (`2026-01-31T09:00:00Z`),
which sort as text in time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_epoch(seconds: float) -> str:
    return utc_text(datetime.fromtimestamp(seconds, UTC))


def from_iso(text: str) -> str:
    """Any ISO 8601 time with an offset (or `Z`), or a date, as UTC text; ValueError else."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return utc_text(moment)


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def plus_days(text: str, days: int) -> str:
    return utc_text(parse(text) + timedelta(days=days))


def now_text() -> str:
    return utc_text(datetime.now(UTC))


def maybe_iso(value: object) -> str | None:
    """`from_iso` of a provider's field that may be missing, empty, a datetime or not a time."""
    if isinstance(value, datetime):
        return utc_text(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        return from_iso(value)
    except ValueError:
        return None
