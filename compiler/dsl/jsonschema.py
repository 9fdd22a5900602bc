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
    return {"$schema": DRAFT, "$id": SCHEMA_BASE + filename, "title": title, **schema}


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
