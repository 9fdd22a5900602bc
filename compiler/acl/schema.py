"""The versioned JSON Schema of the ACL artifact, shipped inside the package.

The schema file is committed (`compiler/schemas/acl-v1.schema.json`) and its `$id` carries
the version, so a consumer can pin exactly what it reads. When the format changes, a new file
(`acl-v2...`) is added next to it and the old one stays, with old artifacts kept as test
fixtures, so that what a runtime accepts is always written down.

Checking files fast: across a fleet, the workflow bodies of ACL files are the same few
documents repeated in every tenant's file. `schema_problem` checks the rest of a file with
the workflows left open, and each distinct workflow body once (JSON Schema keywords only
look inside the value they apply to, so the two checks together are the whole schema). Only
when that finds a problem is the full schema run, to name the problem well.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

# `jsonschema` is imported when a file is first checked, not with this module: the compiler
# imports this module for SCHEMA_VERSION, and most commands never check an ACL file.

SCHEMA_VERSION = "paybill.dev/acl/v1"
SCHEMA_FILE = "acl-v1.schema.json"
_LONGEST_SHOWN = 60
_ANNOTATIONS = frozenset({"description", "title"})


@cache
def acl_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every `acl/<tenant>.json` of this version satisfies."""
    text = resources.files("compiler").joinpath("schemas", SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def acl_validator() -> Draft202012Validator:
    """One validator, built once, of the schema with its `$ref`s written out in place.

    `jsonschema` resolves a `$ref` on every visit, which more than doubles the time to
    check a file; the committed schema keeps its `$defs` for readers, the validator gets a
    copy without them. The schema has no recursive references, so the copy is finite.
    """
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    schema = acl_schema()
    return Draft202012Validator(_inline(schema, schema["$defs"]))


@cache
def _shell_validator() -> Draft202012Validator:
    """The schema with every workflow body accepted as any object."""
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    schema = acl_schema()
    defs = {**schema["$defs"], "workflow": {"type": "object"}}
    return Draft202012Validator(_inline(schema, defs))


@cache
def _workflow_validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    defs = acl_schema()["$defs"]
    return Draft202012Validator(_inline(defs["workflow"], defs))


@lru_cache(maxsize=4096)
def _workflow_valid(body: str) -> bool:
    return bool(_workflow_validator().is_valid(json.loads(body)))


def is_valid(data: Any) -> bool:
    """Whether `data` satisfies the schema, checking each distinct workflow body once."""
    if not _shell_validator().is_valid(data):
        return False
    return all(
        _workflow_valid(json.dumps(body, sort_keys=True))
        for agent in data["agents"].values()
        for body in agent["workflows"].values()
    )


def schema_problem(data: Any) -> str:
    """The most telling way `data` breaks the schema, as `at path: message`; "" if valid."""
    from jsonschema.exceptions import best_match  # noqa: PLC0415

    if is_valid(data):
        return ""
    error = best_match(acl_validator().iter_errors(data))
    if error is None:  # cannot happen: both checks apply the same schema
        return "at (top level): does not match the schema"
    where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
    message = error.message
    shown = repr(error.instance)
    if len(shown) > _LONGEST_SHOWN:  # a whole sub-document says nothing the path does not
        message = message.replace(shown, "the value")
    return f"at {where}: {message}"


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _inline(value, defs) for key, value in node.items() if key != "$defs"}
    ref = out.pop("$ref", None)
    if ref is None:
        return out
    target = _inline(defs[ref.removeprefix("#/$defs/")], defs)
    if set(out) - _ANNOTATIONS & set(target):
        return {**out, "allOf": [target]}  # both apply, as `$ref` beside keywords means
    return {**target, **out}
