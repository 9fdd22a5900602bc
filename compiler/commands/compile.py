"""`paybill compile [SPEC_DIR] [--out DIR] [--check] [--base REV]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.commands.common import add_base, add_spec_dir
from compiler.pipeline import compile_spec

DEFAULT_OUT = "generated"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "compile",
        help="write stacks, SQL, ACLs and the manifest (or --check that they are current)",
        description=(
            "Compile a spec into DIR atomically: a failed compile leaves DIR as it was, and "
            "files no longer produced are removed. With --check nothing is written; exit 1 "
            "lists what differs (the CI gate that keeps committed output current)."
        ),
    )
    add_spec_dir(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="DIR",
        help=f"output folder (default: {DEFAULT_OUT})",
    )
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    add_base(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    result = compile_spec(args.spec_dir, args.out, check=args.check, base=args.base)
    total = len(result.artifacts)
    if args.check:
        if result.changes:
            print(f"{args.out} is not current: {len(result.changes)} of {total} files differ")
            for change in result.changes:
                print(change.render())
            print(f"run: paybill compile {args.spec_dir} --out {args.out}")
            return 1
        print(f"{args.out} is current ({total} files)")
        return 0
    counts = {
        kind: sum(c.change == kind for c in result.changes)
        for kind in ("added", "changed", "removed")
    }
    print(
        f"compiled {args.spec_dir} -> {args.out}: {total} files "
        f"({counts['added']} added, {counts['changed']} changed, {counts['removed']} removed); "
        f"{len(result.reused)} of {len(result.graph)} nodes reused unchanged"
    )
    return 0
