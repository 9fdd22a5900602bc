"""`paybill drift [SPEC_DIR] [--generated DIR] [--jobs N] [--tf-override FILE]
[--dsn TARGET=DSN ...] [--out DIR]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.commands import operate
from compiler.commands.common import add_spec_dir
from compiler.operate.current import require_current
from compiler.operate.drifting import DriftOptions, drift, write

DEFAULT_OUT = "drift"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Refresh and plan every stack, compare every SQL target given a DSN with its "
        "compiled state (memberships included), and check the published ACL files "
        "against their digests. Writes DIR/drift.md and DIR/drift.json. Exit codes: "
        "0 no drift, 2 drift, 1 spec errors, 3 environment (also when a stack's provider is "
        "not installed: it is listed as not checked)."
    )
    add_spec_dir(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="DIR",
        help=f"where the report is written (default: {DEFAULT_OUT})",
    )
    operate.add_common(parser)
    parser.add_argument("--acl-dir", type=Path, metavar="DIR", help="where ACL files are published")
    parser.add_argument("--no-terraform", action="store_true", help="skip the stacks")
    parser.set_defaults(run=run, usage_exit=1)


def run(args: argparse.Namespace) -> int:
    require_current(args.spec_dir, args.generated)
    result = drift(
        DriftOptions(
            generated=args.generated,
            out=args.out,
            jobs=operate.jobs(args),
            tf_override=operate.tf_override(args),
            dsns=operate.dsn_map(args),
            workdir=operate.workdir(args),
            acl_dir=args.acl_dir,
            terraform=not args.no_terraform,
        )
    )
    report = write(result, args.out)
    print(f"{'drift found' if result.drifted else 'no drift'}: {report}")
    for stack, lines in result.stacks.items():
        for line in lines:
            print(f"  stack {stack}: {line}")
    for target, lines in result.sql.items():
        for line in lines:
            print(f"  {target}: {line}")
    for line in result.acl:
        print(f"  {line}")
    for stack, note in result.schema_checked_only.items():
        print(f"  stack {stack}: {note} (drift not checked)")
    return result.exit_code
