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

import json
from typing import Any

INDENT = "  "
FLAT_MEMBERS = 3  # an object of scalars up to this size fits one line in a diff
_SCALARS = (str, int, float, bool, type(None))
_scalar = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True).encode


def output_json(data: Any) -> bytes:
    """`data` as a generated JSON file: keys sorted, two-space indent, flat lists and small
    flat objects on one line (`", "` and `": "` between members), UTF-8, LF, a trailing
    newline. Deterministic to the byte: equal data, equal bytes. Dicts, lists and tuples
    and JSON scalars only; NaN and infinities are refused (they are not JSON)."""
    out: list[str] = []
    _write(data, "\n", out)
    out.append("\n")
    return "".join(out).encode()


def _one_line(value: dict[str, Any] | list[Any] | tuple[Any, ...]) -> bool:
    if isinstance(value, dict):
        return len(value) <= FLAT_MEMBERS and all(isinstance(v, _SCALARS) for v in value.values())
    return all(isinstance(v, _SCALARS) for v in value)


def _write(value: Any, newline: str, out: list[str]) -> None:
    """Append `value`; `newline` is a line break and the indent of the line `value` is on."""
    if isinstance(value, _SCALARS):
        out.append(_scalar(value))
        return
    if not isinstance(value, dict | list | tuple):
        raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
    if isinstance(value, dict) and not all(isinstance(key, str) for key in value):
        raise TypeError("JSON object keys must be strings")
    if not value or _one_line(value):
        out.append(_scalar(value))  # a tuple is written as a list
        return
    inner = newline + INDENT
    if isinstance(value, dict):
        separator = "{" + inner
        for key in sorted(value):
            out.extend((separator, _scalar(key), ": "))
            _write(value[key], inner, out)
            separator = "," + inner
        out.append(newline + "}")
    else:
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
