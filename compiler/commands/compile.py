"""`paybill compile [SPEC_DIR] [--out DIR] [--check] [--base REV]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compiler.commands.common import add_base, add_spec_dir
from compiler.errors import UsageError
from compiler.pipeline import compile_spec
from compiler.write.lock import DEFAULT_TIMEOUT_SECONDS, TIMEOUT_VARIABLE

DEFAULT_OUT = "generated"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Compile a spec into DIR: only files that changed are written, all or nothing (a "
        "failed or killed compile leaves DIR as it was, or is finished by the next run), "
        "and files no longer produced are removed. One compile writes into DIR at a time. "
        "With --check nothing is written; exit 1 lists what differs (the CI gate that "
        "keeps committed output current)."
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
    parser.add_argument(
        "--lock-timeout",
        type=float,
        metavar="SECONDS",
        help="how long to wait for another compile writing into DIR (default: "
        f"${TIMEOUT_VARIABLE}, else {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.lock_timeout is not None and not args.lock_timeout >= 0:
        raise UsageError("--lock-timeout must be 0 or more seconds")
    result = compile_spec(
        args.spec_dir, args.out, check=args.check, base=args.base, lock_timeout=args.lock_timeout
    )
    for note in result.notes:
        print(f"paybill: {note}", file=sys.stderr)
    total = result.files
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
    if result.incremental is None:
        scope = ""
    elif not result.incremental:
        scope = "; no spec file changed since the last compile"
    else:
        shown = ", ".join(f"'{t}'" for t in result.incremental[:3])
        more = len(result.incremental) - 3
        scope = f"; only {shown}{f' and {more} more' if more > 0 else ''} compiled again"
    print(
        f"compiled {args.spec_dir} -> {args.out}: {total} files "
        f"({counts['added']} added, {counts['changed']} changed, {counts['removed']} removed); "
        f"{result.untouched} of {result.nodes} nodes reused unchanged{scope}"
    )
    return 0
