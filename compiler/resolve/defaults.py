"""Column defaults: a typed value from the YAML, checked against the column's type.

A default reaches SQL only as a quoted literal with a cast to the column's type
(`'pending'::text`, `'0'::bigint`) or as one of three expressions, so nothing written in
the spec is ever spliced into SQL as code. The value is checked here, where its position in
the spec is known, so that what PostgreSQL would refuse at apply time (or, worse, accept and
change: a too-long `varchar` is cut by the cast, extra decimals are rounded, `'now'` is
frozen at the moment the table is created) is a spec error with a line and column instead.

The expressions are the non-constant defaults worth having and nothing more:
`now()` (when a row was inserted), `gen_random_uuid()` (a fresh id; core PostgreSQL since
13) and `current_date`. Each applies to the types listed in `EXPRESSIONS`; written for any
other type the same words are an ordinary literal of it (for `text`, the text "now()").
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import math
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from compiler.resolve.model import ColumnDefault

# expression -> the column types it may be the default of
EXPRESSIONS: dict[str, frozenset[str]] = {
    "now()": frozenset({"timestamptz", "timestamp"}),
    "gen_random_uuid()": frozenset({"uuid"}),
    "current_date": frozenset({"date"}),
}

_INTEGERS = {"smallint": 16, "integer": 32, "bigint": 64}
_VARCHAR = re.compile(r"^varchar\(([0-9]+)\)$")
_NUMERIC = re.compile(r"^numeric(?:\(([0-9]+)(?:, ?([0-9]+))?\))?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(?P<zone>Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)
_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_BYTEA = re.compile(r"^\\x([0-9a-fA-F]{2})*$")


class DefaultError(ValueError):
    """Why a default does not fit its column, with what to write instead (the hint)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def column_default(column_type: str, value: Any) -> ColumnDefault | None:
    """The default of a column of `column_type` written as `value` (None: no default).
    Raises DefaultError when the value is not one of that type."""
    if value is None:
        return None
    if isinstance(value, str) and column_type in EXPRESSIONS.get(value, ()):
        return ColumnDefault("expression", value)
    return ColumnDefault("literal", _literal(column_type, value))


def _literal(column_type: str, value: Any) -> str:
    if column_type == "jsonb":
        return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    if column_type in _INTEGERS:
        return _integer(column_type, value)
    if column_type == "boolean":
        if not isinstance(value, bool):
            raise DefaultError(f"{_shown(value)} is not a boolean", "write true or false")
        return "true" if value else "false"
    if column_type in ("real", "double precision"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DefaultError(f"{_shown(value)} is not a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise DefaultError(f"{_shown(value)} is not a finite number")
        return repr(value)
    if match := _NUMERIC.match(column_type):
        return _numeric(column_type, value, match)
    if not isinstance(value, str):
        raise DefaultError(
            f"{_shown(value)} is not text; a {column_type} default is written as text"
        )
    if "\x00" in value:
        raise DefaultError("a default cannot hold the NUL character")
    return _textual(column_type, value)


def _integer(column_type: str, value: Any) -> str:
    bits = _INTEGERS[column_type]
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DefaultError(
            f"{_shown(value)} is not a {column_type} (a whole number from {low} to {high})"
        )
    return str(value)


def _numeric(column_type: str, value: Any, match: re.Match[str]) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DefaultError(f"{_shown(value)} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise DefaultError(f"{_shown(value)} is not a finite number")
    text = repr(value) if isinstance(value, float) else str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not _DECIMAL.match(format(number, "f")):
        raise DefaultError(f"{_shown(value)} is not a number", "write it as 12.50 or '12.50'")
    canonical = format(number, "f")
    if match.group(1) is not None:
        precision, scale = int(match.group(1)), int(match.group(2) or 0)
        whole, _, fraction = canonical.lstrip("-").partition(".")
        if len(fraction.rstrip("0")) > scale:
            raise DefaultError(
                f"{canonical} has more than {scale} decimal(s), which {column_type} would round"
            )
        if len(whole.lstrip("0")) > precision - scale:
            raise DefaultError(f"{canonical} does not fit {column_type}")
    return canonical


def _textual(column_type: str, value: str) -> str:
    if column_type == "text":
        return value
    if match := _VARCHAR.match(column_type):
        limit = int(match.group(1))
        if len(value) > limit:
            raise DefaultError(
                f"{_shown(value)} is {len(value)} characters, longer than {column_type} holds"
            )
        return value
    if column_type == "uuid":
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise DefaultError(
                f"{_shown(value)} is not a uuid", "write a uuid, or gen_random_uuid() for a new one"
            ) from None
    if column_type == "date":
        return _date(value)
    if column_type in ("timestamptz", "timestamp"):
        return _timestamp(column_type, value)
    if column_type == "bytea":
        if not _BYTEA.match(value):
            raise DefaultError(
                f"{_shown(value)} is not bytea in hex", "write '\\x' followed by hex digit pairs"
            )
        return value.lower()
    if column_type == "inet":
        try:
            return str(
                ipaddress.ip_interface(value) if "/" in value else ipaddress.ip_address(value)
            )
        except ValueError:
            raise DefaultError(f"{_shown(value)} is not an IP address") from None
    raise DefaultError(f"a {column_type} column takes no default")  # pragma: no cover


def _date(value: str) -> str:
    try:
        if _DATE.match(value):
            return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise DefaultError(
        f"{_shown(value)} is not a date",
        "write YYYY-MM-DD, or current_date for the day of the insert",
    )


def _timestamp(column_type: str, value: str) -> str:
    match = _TIME.match(value)
    try:
        moment = datetime.datetime.fromisoformat(value) if match else None
    except ValueError:
        moment = None
    example = "2030-01-31T09:00:00+00:00" if column_type == "timestamptz" else "2030-01-31T09:00:00"
    hint = f"write '{example}', or now() for the time of the insert"
    if moment is None or match is None:
        raise DefaultError(f"{_shown(value)} is not a {column_type}", hint)
    zoned = match.group("zone") is not None
    if column_type == "timestamptz" and not zoned:
        # Without an offset PostgreSQL would read it in the applying session's time zone.
        raise DefaultError(f"{_shown(value)} has no time zone offset", hint)
    if column_type == "timestamp" and zoned:
        raise DefaultError(f"{_shown(value)} has a time zone offset; a timestamp has none", hint)
    return moment.isoformat()


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True, allow_nan=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
