"""JSON Schemas (draft 2020-12) of the DSL, generated from the pydantic models.

One schema per kind and one for any document. They are committed under `schemas/` so that
editors (yaml-language-server) validate spec files as they are typed; a test proves the
committed files are current and that they agree with pydantic on every document we have.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from compiler.dsl.parse import KINDS

SCHEMA_BASE = "https://paybill.dev/schemas/v1/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _finish(schema: dict[str, Any], filename: str, title: str) -> dict[str, Any]:
    body = _strict_ends(schema)
    return {"$schema": DRAFT, "$id": SCHEMA_BASE + filename, "title": title, **body}


def _strict_end(pattern: str) -> str:
    r"""`^...$` -> `^...$(?!\n)`.

    Python's `re` (which the `jsonschema` library uses) lets `$` match before a final
    newline, so `"acme\n"` would pass `^[a-z]...$` there while pydantic's engine and
    ECMA-262 (editors) refuse it. The lookahead changes nothing for the latter two.
    """
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern + r"(?!\n)"
    return pattern


def _strict_ends(node: Any) -> Any:
    """A copy of a schema with every `pattern` and `patternProperties` key made strict."""
    if isinstance(node, list):
        return [_strict_ends(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            out[key] = _strict_end(value)
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {_strict_end(k): _strict_ends(v) for k, v in value.items()}
        else:
            out[key] = _strict_ends(value)
    return out


def document_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every kind and for `document.schema.json`."""
    out = {}
    for kind, model in KINDS.items():
        filename = f"{kind.lower()}.schema.json"
        out[filename] = _finish(
            model.model_json_schema(by_alias=True, mode="validation"),
            filename,
            f"Paybill {kind} (paybill.dev/v1)",
        )
    members: Any = Union[tuple(KINDS.values())]  # noqa: UP007 (built from a tuple)
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[members, Field(discriminator="kind")])
    out["document.schema.json"] = _finish(
        adapter.json_schema(by_alias=True, mode="validation"),
        "document.schema.json",
        "Any Paybill spec document (paybill.dev/v1)",
    )
    return out


def render(schema: dict[str, Any]) -> bytes:
    return (json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
