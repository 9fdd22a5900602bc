#!/usr/bin/env python3
"""Refresh compiler/providers/data/aws.json.gz from the real AWS provider.

`paybill compile` checks every attribute of every generated resource against the provider's
schema, in process (compiler.providers). The full schema is 13 MB; this keeps the resource
types and data sources the stack builders use (compiler.emit.stacks: RESOURCE_TYPES,
DATA_SOURCE_TYPES), without descriptions, in the shape of `terraform providers schema
-json`, gzipped. Run it after changing the provider version or using a new resource type:

    .venv/bin/python scripts/refresh-provider-schema.py

It needs terraform and the provider (from a plugin mirror when there is one, see
tests/emit/stacks/terraform.py).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compiler.emit.stacks.aspects import RESOURCE_TYPES  # noqa: E402
from compiler.emit.stacks.builder import DATA_SOURCE_TYPES  # noqa: E402
from compiler.emit.stacks.provider import AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION  # noqa: E402
from compiler.providers.schemas import compressed, schema_path  # noqa: E402
from tests.emit.stacks.terraform import PROVIDER, run, terraform_env  # noqa: E402

OUT = schema_path("aws")
KEEP = ("type", "nested_type", "required", "optional", "computed", "deprecated", "sensitive")


def trim(block: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    attributes = {
        name: {k: _nested(v) if k == "nested_type" else v for k, v in spec.items() if k in KEEP}
        for name, spec in block.get("attributes", {}).items()
    }
    if attributes:
        out["attributes"] = attributes
    nested = {}
    for name, spec in block.get("block_types", {}).items():
        entry = {k: v for k, v in spec.items() if k in ("nesting_mode", "min_items", "max_items")}
        entry["block"] = trim(spec["block"])
        nested[name] = entry
    if nested:
        out["block_types"] = nested
    return out


def _nested(nested: dict[str, Any]) -> dict[str, Any]:
    """A framework provider's nested attribute type, without descriptions."""
    out = {k: v for k, v in nested.items() if k in ("nesting_mode", "min_items", "max_items")}
    out["attributes"] = trim(nested).get("attributes", {})
    return out


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="provider-schema-") as tmp:
        folder = Path(tmp)
        required = {"aws": {"source": AWS_PROVIDER_SOURCE, "version": AWS_PROVIDER_VERSION}}
        (folder / "main.tf.json").write_text(
            json.dumps({"terraform": {"required_providers": required}})
        )
        env = terraform_env(folder)
        run("terraform", ["init", "-input=false", "-no-color"], folder, env)
        done = run("terraform", ["providers", "schema", "-json"], folder, env)
    schema = json.loads(done.stdout)["provider_schemas"][PROVIDER]
    missing = sorted(
        [t for t in RESOURCE_TYPES if t not in schema["resource_schemas"]]
        + [t for t in DATA_SOURCE_TYPES if t not in schema["data_source_schemas"]]
    )
    if missing:
        print(f"not in the provider: {', '.join(missing)}", file=sys.stderr)
        return 1
    trimmed = {
        "format_version": "1.0",
        "provider_schemas": {
            PROVIDER: {
                "provider": {"version": 0, "block": trim(schema["provider"]["block"])},
                "resource_schemas": {
                    t: {"version": 0, "block": trim(schema["resource_schemas"][t]["block"])}
                    for t in sorted(RESOURCE_TYPES)
                },
                "data_source_schemas": {
                    t: {"version": 0, "block": trim(schema["data_source_schemas"][t]["block"])}
                    for t in sorted(DATA_SOURCE_TYPES)
                },
            }
        },
        "extracted_from": {
            "method": "terraform providers schema -json (scripts/refresh-provider-schema.py), "
            "cut to the types the stack builders use",
            "provider_version": AWS_PROVIDER_VERSION,
        },
    }
    OUT.write_bytes(compressed(trimmed))
    print(
        f"wrote {OUT.relative_to(REPO)}: {len(RESOURCE_TYPES)} resource types, "
        f"{len(DATA_SOURCE_TYPES)} data sources"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
