"""The arguments of a call, as an approval binds them.

A person approves one call of a step: its arguments, as a JSON value whose SHA-256 the
database keeps (`paybill_api.approve`). The step function computes the same digest from its
own parameters, so both sides must write the same JSON:

* a query step's arguments are an object of its parameters by name, `run` aside: for each
  where-column `where.<column>` and its list of values, and for an update or insert each
  column's value (an insert: its list of values) — `call_arguments(where=..., values=...)`;
* a tool step's arguments are what the application calls the tool with:
  `{"args": [...], "kwargs": {...}}` — `tool_arguments(*args, **kwargs)`.

Values are written as PostgreSQL's `to_jsonb` prints the parameter in UTC: text, numbers as
the column's type holds them (a `Decimal` keeps its places), UUIDs as text, dates as
`2030-01-31`, timestamps with a time zone in UTC (`2030-01-31T09:00:00.5+00:00`), without
one as `2030-01-31T09:00:00`, bytes as `\\x` and hex. `canonical_json` writes them so.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from compiler.acl import names


def call_arguments(
    where: Mapping[str, Sequence[Any]] | None = None, values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A query step's arguments by parameter name, as `Run.step` passes them."""
    out: dict[str, Any] = dict(values or {})
    out.update({names.where_parameter(c): list(v) for c, v in (where or {}).items()})
    return out


def tool_arguments(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """A tool step's arguments, as `Run.tool` passes them."""
    return {"args": list(args), "kwargs": dict(kwargs)}


def canonical_json(value: Any) -> str:
    """JSON text of `value` with every scalar as PostgreSQL prints it (see above)."""
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value) if value.is_finite() else json.dumps(str(value))
    if isinstance(value, uuid.UUID):
        return json.dumps(str(value))
    if isinstance(value, datetime.datetime):
        return json.dumps(_moment(value))
    if isinstance(value, datetime.date):
        return json.dumps(value.isoformat())
    if isinstance(value, bytes | bytearray | memoryview):
        return json.dumps("\\x" + bytes(value).hex())
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k))}: {canonical_json(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(canonical_json(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as an argument: {value!r}")


def _moment(value: datetime.datetime) -> str:
    aware = value.tzinfo is not None
    if aware:
        value = value.astimezone(datetime.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + ("+00:00" if aware else "")
