"""Check a `cdk.tf.json` against the AWS provider's schema, in process.

`terraform validate` is the authority but costs seconds per run; this catches the same
class of mistakes (unknown or misspelled attributes, a missing required one, a computed-only
attribute set, a deprecated one used, a block with too many items, a literal of the wrong
type) in milliseconds, and names the exact place. Values that are Terraform expressions
(`${...}`) are left to terraform itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).resolve().parents[2] / "data" / "aws-provider-schema.json"
RESOURCE_META = frozenset({"//", "lifecycle", "depends_on", "count", "for_each", "provider"})
DATA_META = frozenset({"//", "depends_on", "count", "for_each", "provider"})


@cache
def provider_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA.read_bytes())
    return data


def check_stack(document: dict[str, Any]) -> list[str]:
    """Every problem found in one stack, as `<address>.<path>: <problem>`."""
    schema = provider_schema()
    problems: list[str] = []
    for config in document.get("provider", {}).get("aws", []):
        problems += check_block("provider.aws", config, schema["provider_config"], frozenset())
    for kind, section, meta in (
        ("resource", "resource_schemas", RESOURCE_META),
        ("data", "data_source_schemas", DATA_META),
    ):
        for type_, items in sorted(document.get(kind, {}).items()):
            if kind == "data" and type_ == "terraform_remote_state":
                continue  # built into terraform, not part of the AWS provider
            block = schema[section].get(type_)
            if block is None:
                problems.append(f"{kind} type {type_} is not in {SCHEMA.name}")
                continue
            for name, body in sorted(items.items()):
                problems += check_block(f"{type_}.{name}", body, block, meta)
    return problems


def check_block(
    where: str, body: dict[str, Any], block: dict[str, Any], meta: frozenset[str]
) -> list[str]:
    attributes = block.get("attributes", {})
    nested = block.get("block_types", {})
    problems = []
    for key, value in sorted(body.items()):
        if key in meta:
            continue
        here = f"{where}.{key}"
        if key in attributes:
            spec = attributes[key]
            if spec.get("computed") and not spec.get("optional") and not spec.get("required"):
                problems.append(f"{here}: computed by the provider, cannot be set")
            if spec.get("deprecated"):
                problems.append(f"{here}: deprecated in the provider")
            problems += check_value(here, value, spec["type"])
        elif key in nested:
            problems += _check_nested(here, value, nested[key])
        else:
            problems.append(f"{here}: no such attribute or block")
    for key, spec in sorted(attributes.items()):
        if spec.get("required") and key not in body:
            problems.append(f"{where}.{key}: required, missing")
    for key, spec in sorted(nested.items()):
        if spec.get("min_items", 0) > 0 and key not in body:
            problems.append(f"{where}.{key}: required block, missing")
    return problems


def _check_nested(where: str, value: Any, spec: dict[str, Any]) -> list[str]:
    mode = spec["nesting_mode"]
    if mode == "single":
        if not isinstance(value, dict):
            return [f"{where}: a single block must be an object"]
        return check_block(where, value, spec["block"], frozenset())
    if not isinstance(value, list):
        return [f"{where}: a {mode} of blocks must be a list"]
    problems = []
    low, high = spec.get("min_items", 0), spec.get("max_items")
    if len(value) < low or (high is not None and len(value) > high):
        problems.append(f"{where}: {len(value)} blocks, allowed {low}..{high or 'any'}")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            problems.append(f"{where}[{index}]: a block must be an object")
        else:
            problems += check_block(f"{where}[{index}]", item, spec["block"], frozenset())
    return problems


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def check_value(where: str, value: Any, type_: Any) -> list[str]:
    """Literal values against a Terraform type: "string", ["list", T], ["object", {...}]..."""
    if is_expression(value) or value is None or type_ == "dynamic":
        return []
    if isinstance(type_, str):
        expected: dict[str, type | tuple[type, ...]] = {
            "string": str,
            "number": (int, float),
            "bool": bool,
        }
        if type_ == "number" and isinstance(value, bool):
            return [f"{where}: expected a number, got {value!r}"]
        if not isinstance(value, expected[type_]):
            return [f"{where}: expected a {type_}, got {value!r}"]
        return []
    kind, inner = type_
    if kind in ("list", "set"):
        if not isinstance(value, list):
            return [f"{where}: expected a {kind}, got {value!r}"]
        return [p for i, v in enumerate(value) for p in check_value(f"{where}[{i}]", v, inner)]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map, got {value!r}"]
        return [p for k, v in sorted(value.items()) for p in check_value(f"{where}.{k}", v, inner)]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        unknown = sorted(set(value) - set(inner))
        problems = [f"{where}.{k}: no such attribute" for k in unknown]
        return problems + [
            p
            for k, v in sorted(value.items())
            if k in inner
            for p in check_value(f"{where}.{k}", v, inner[k])
        ]
    return [f"{where}: unknown schema type {type_!r}"]
