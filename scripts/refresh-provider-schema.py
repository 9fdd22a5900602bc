#!/usr/bin/env python3
"""Refresh tests/data/aws-provider-schema.json from the real AWS provider.

The stacks' tests check every attribute of every generated resource against the provider's
schema, in process. The full schema is 13 MB; this keeps the resource types and data sources
the stack builders use (compiler.emit.stacks: RESOURCE_TYPES, DATA_SOURCE_TYPES), without
descriptions. Run it after changing the provider version or using a new resource type:

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

from compiler.emit.artifact import canonical_json  # noqa: E402
from compiler.emit.stacks.aspects import RESOURCE_TYPES  # noqa: E402
from compiler.emit.stacks.builder import DATA_SOURCE_TYPES  # noqa: E402
from compiler.emit.stacks.provider import AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION  # noqa: E402
from tests.emit.stacks.terraform import PROVIDER, run, terraform_env  # noqa: E402

OUT = REPO / "tests" / "data" / "aws-provider-schema.json"
KEEP = ("type", "required", "optional", "computed", "deprecated", "sensitive")


def trim(block: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    attributes = {
        name: {k: v for k, v in spec.items() if k in KEEP}
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
        "provider": f"{PROVIDER} {AWS_PROVIDER_VERSION}",
        "provider_config": trim(schema["provider"]["block"]),
        "resource_schemas": {
            t: trim(schema["resource_schemas"][t]["block"]) for t in sorted(RESOURCE_TYPES)
        },
        "data_source_schemas": {
            t: trim(schema["data_source_schemas"][t]["block"]) for t in sorted(DATA_SOURCE_TYPES)
        },
    }
    OUT.write_bytes(canonical_json(trimmed))
    print(
        f"wrote {OUT.relative_to(REPO)}: {len(RESOURCE_TYPES)} resource types, "
        f"{len(DATA_SOURCE_TYPES)} data sources"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
