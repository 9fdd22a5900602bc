"""`paybill schema --out DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.dsl.jsonschema import document_schemas, render


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "schema",
        help="write the JSON Schemas of the spec language (for editors and CI)",
        description="Write one JSON Schema (2020-12) per kind and document.schema.json.",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in sorted(document_schemas().items()):
        (out / name).write_bytes(render(schema))
        print(out / name)
    return 0
