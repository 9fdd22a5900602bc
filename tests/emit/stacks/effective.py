"""A stack as one configuration: its root stack with its module's resources put in, every
module input replaced by the value the root gives it.

This is what Terraform evaluates, written the way stacks were written before modules (every
resource at the top level, every value literal): the behaviour tests read stacks this way,
and the upgrade test compares it with the stacks of that layout. It only substitutes; it
understands no more Terraform than `${var.x}` in strings and `var.x` inside expressions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_WHOLE = re.compile(r"^\$\{var\.([a-z0-9_]+)\}$")
_EMBEDDED = re.compile(r"\$\{var\.([a-z0-9_]+)\}")
_BARE = re.compile(r"(?<![A-Za-z0-9_.])var\.([a-z0-9_]+)(?![a-z0-9_])")
_OUTPUT = re.compile(r"^\$\{module\.([a-z]+)\.([a-z0-9_]+)\}$")
_EXPRESSION = re.compile(r"^\$\{(.*)\}$")
KEYS_OF_ROOT = ("terraform", "provider", "variable")


def effective(root: Mapping[str, Any], modules: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`root` with its one module call (its source's module in `modules`, by shape) inlined;
    cdktn's `//` metadata dropped, as it names where each element was defined."""
    calls = root.get("module", {})
    if len(calls) != 1:
        raise AssertionError(f"a root stack calls one module, this one {sorted(calls)}")
    ((call, arguments),) = calls.items()
    shape = str(arguments["source"]).rsplit("/", 1)[-1]
    module = modules[shape]
    inputs = {k: v for k, v in arguments.items() if k not in ("source", "//")}
    declared = set(module.get("variable", {}))
    if declared != set(inputs):
        raise AssertionError(
            f"inputs {sorted(inputs)} do not match the module's {sorted(declared)}"
        )
    inlined = _substitute(_drop_metadata(module), inputs)
    out: dict[str, Any] = {k: _drop_metadata(root[k]) for k in KEYS_OF_ROOT if k in root}
    out["resource"] = inlined.get("resource", {})
    data = dict(inlined.get("data", {}))
    data.update(_drop_metadata(root.get("data", {})))
    if data:
        out["data"] = data
    outputs = {}
    for name, spec in root.get("output", {}).items():
        found = _OUTPUT.match(spec["value"])
        if found is None or found.group(1) != call:
            raise AssertionError(f"output {name} is not one of the module's")
        outputs[name] = {**spec, "value": inlined["output"][found.group(2)]["value"]}
    if outputs:
        out["output"] = outputs
    return out


def _drop_metadata(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_metadata(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_drop_metadata(v) for v in value]
    return value


def _substitute(value: Any, inputs: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, inputs) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, inputs) for v in value]
    if not isinstance(value, str):
        return value
    whole = _WHOLE.match(value)
    if whole is not None:
        return inputs[whole.group(1)]
    text = _EMBEDDED.sub(lambda m: _as_text(inputs[m.group(1)]), value)
    return _BARE.sub(lambda m: _as_expression(inputs[m.group(1)]), text)


def _as_text(value: Any) -> str:
    """A value as Terraform writes it into a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_expression(value: Any) -> str:
    """A value as an expression inside `${...}` (a literal, or the expression it holds)."""
    if isinstance(value, str):
        found = _EXPRESSION.match(value)
        return found.group(1) if found is not None else json.dumps(value)
    return _as_text(value)


def comparable(stack: Mapping[str, Any]) -> dict[str, Any]:
    """A stack of the layout before modules, for comparing with `effective`: without cdktn's
    metadata, whose paths name the stack rather than the module."""
    dropped: dict[str, Any] = _drop_metadata(dict(stack))
    return dropped
