"""The layout of every JSON file paybill writes under `generated/` itself (ACLs, entitlements,
Cedar entities, SQL states, node records, the manifest).

Reviewers read these files in pull-request diffs, so an object keeps one member per line and a
changed key is a changed line. What is short and flat goes on one line: a list of scalars
(`"columns": ["id", "due_at"]`) and an object of at most `FLAT_MEMBERS` scalars
(`"uid": {"id": "acme", "type": "Paybill::Tenant"}`). Written one item per line, those were
half of the ACLs and records of a fleet, most of it indentation.

The Terraform files cdktn synthesizes (`stacks/`, `modules/`) keep cdktn's own layout
(`canonical_json`): they are cdktn's output, not ours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import orjson

INDENT = b"  "
FLAT_MEMBERS = 3  # an object of scalars up to this size fits one line in a diff
_SCALARS = (str, int, float, bool, type(None))
_dumps = orjson.dumps  # a scalar or a key: as the standard library writes it, faster


def output_json(data: Any) -> bytes:
    """`data` as a generated JSON file: keys sorted, two-space indent, flat lists and small
    flat objects on one line (`", "` and `": "` between members), UTF-8, LF, a trailing
    newline. Deterministic to the byte: equal data, equal bytes. Dicts, lists and tuples
    (written as lists) and JSON scalars only (integers within 64 bits); NaN and infinities
    are refused, they are not JSON."""
    out: list[bytes] = []
    _write(data, b"\n", out)
    out.append(b"\n")
    return b"".join(out)


def _flat(values: Iterable[Any]) -> bool:
    """Whether every value is a scalar (refusing the floats JSON has no spelling for)."""
    for value in values:
        if not isinstance(value, _SCALARS):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} is not a JSON number")
    return True


def _write(value: Any, newline: bytes, out: list[bytes]) -> None:
    """Append `value`; `newline` is a line break and the indent of the line `value` is on."""
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("JSON object keys must be strings")
        keys = sorted(value)
        if len(keys) <= FLAT_MEMBERS and _flat(value.values()):
            out.append(b"{" + b", ".join(_dumps(k) + b": " + _dumps(value[k]) for k in keys) + b"}")
            return
        inner = newline + INDENT
        separator = b"{" + inner
        for key in keys:
            out.append(separator + _dumps(key) + b": ")
            _write(value[key], inner, out)
            separator = b"," + inner
        out.append(newline + b"}")
    elif isinstance(value, list | tuple):
        if _flat(value):
            out.append(b"[" + b", ".join(map(_dumps, value)) + b"]")
            return
        inner = newline + INDENT
        separator = b"[" + inner
        for item in value:
            out.append(separator)
            _write(item, inner, out)
            separator = b"," + inner
        out.append(newline + b"]")
    elif _flat((value,)):
        out.append(_dumps(value))
    else:
        raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
