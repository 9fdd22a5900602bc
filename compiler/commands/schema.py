"""`paybill schema --out DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.dsl.jsonschema import document_schemas, render
from compiler.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write one JSON Schema (2020-12) per kind and document.schema.json into DIR "
        "(created when missing)."
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    _make_folder(out)
    for name, schema in sorted(document_schemas().items()):
        (out / name).write_bytes(render(schema))
        print(out / name)
    return 0


def _make_folder(out: Path) -> None:
    """`out` as a folder, or a usage error when it (or a folder above it) is a file."""
    for folder in (out, *out.parents):
        if folder.exists() and not folder.is_dir():
            subject = f"--out {out}" if folder == out else f"--out {out}: '{folder}'"
            raise UsageError(
                f"{subject} is a file, not a folder; give a folder to write the schemas "
                "into (it is created when missing)"
            )
    out.mkdir(parents=True, exist_ok=True)
