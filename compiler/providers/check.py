"""The validator as a compile step: synthesized documents in, every problem out as one error.

A stack that its provider would refuse is the compiler's mistake, not the spec's; it still
fails the compile like a spec error (exit 1, nothing written), so that it is never applied,
never committed, and is reported with the exact stack, resource and attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from compiler.errors import Diagnostic, Location, SpecError
from compiler.providers.schemas import cloud_of_source
from compiler.providers.validate import validate

GENERATED_HINT = (
    "paybill generated this and the provider's schema refuses it: a bug in paybill, not in "
    "your spec; nothing was written, please report it with this message"
)


def document_cloud(document: Mapping[str, Any]) -> str | None:
    """The one cloud whose provider the document requires, or None if not exactly one."""
    clouds = set()
    blocks = document.get("terraform", {})
    for block in blocks if isinstance(blocks, list) else [blocks]:
        if not isinstance(block, dict):
            continue
        for spec in (block.get("required_providers") or {}).values():
            if isinstance(spec, dict) and isinstance(spec.get("source"), str):
                cloud = cloud_of_source(spec["source"])
                if cloud is not None:
                    clouds.add(cloud)
    return clouds.pop() if len(clouds) == 1 else None


def check_documents(documents: Iterable[tuple[str, str, bytes]]) -> None:
    """Validate (path, name, bytes) of synthesized documents, each against the schema of
    the cloud its `required_providers` names; raise every problem together."""
    found = [problem for document in documents for problem in document_problems(*document)]
    if found:
        raise SpecError(found)


def document_problems(path: str, name: str, content: bytes) -> list[Diagnostic]:
    """What the provider's schema refuses in one document (what `check_documents` raises),
    for a caller that streams documents and raises once they have all been seen."""
    document = orjson.loads(content)
    cloud = document_cloud(document)
    if cloud is None:
        return [
            Diagnostic(
                Location(path),
                "requires no provider of a known cloud, or more than one",
                name,
                "terraform.required_providers",
                GENERATED_HINT,
            )
        ]
    return [
        Diagnostic(Location(path), problem.message, name, problem.where, GENERATED_HINT)
        for problem in validate(document, name, cloud)
    ]
