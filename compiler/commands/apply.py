"""`paybill apply [SPEC_DIR] [--plan PLAN_DIR | --base REV|DIR] [--generated DIR] [--jobs N]
[--tf-override FILE] [--dsn TARGET=DSN ...] [--resume] [--wave N] [--only NODE ...]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.commands import operate
from compiler.commands.common import add_spec_dir
from compiler.errors import UsageError
from compiler.operate.applying import ApplyOptions, apply
from compiler.operate.current import require_current


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Apply what a reviewed plan covered (--plan), the change against a base (--base), "
        "or everything (neither): in the records' waves, up to --jobs nodes at a time; a "
        "SQL target after the stack that makes its database; ACL files published last. "
        "Destructive changes the spec does not confirm are refused. A failure lets running "
        "nodes finish and starts no further wave; --resume runs only what failed or did "
        "not start. Exit codes: 0 applied, 1 refused, 3 environment, 4 partially applied."
    )
    add_spec_dir(parser)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--plan", type=Path, metavar="PLAN_DIR", help="apply this reviewed plan")
    which.add_argument("--base", metavar="REV|DIR", help="apply the change against this base")
    operate.add_common(parser)
    parser.add_argument(
        "--resume", action="store_true", help="run only what failed or did not start last time"
    )
    parser.add_argument("--wave", type=int, metavar="N", help="apply only this wave")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NODE",
        help="apply only this node (e.g. stack:tenant-acme); repeat for more",
    )
    parser.add_argument(
        "--acl-dir",
        type=Path,
        metavar="DIR",
        help="publish ACL files into this folder (default: $PAYBILL_ACL_DIR; else, with the "
        "s3 backend, acl/ beside the state; else <workdir>/acl)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.wave is not None and args.wave < 0:
        raise UsageError("--wave must be 0 or more")
    require_current(args.spec_dir, args.generated)
    options = ApplyOptions(
        generated=args.generated,
        base=args.base,
        plan=args.plan,
        jobs=operate.jobs(args),
        tf_override=operate.tf_override(args),
        dsns=operate.dsn_map(args),
        workdir=operate.workdir(args),
        resume=args.resume,
        wave=args.wave,
        only=tuple(args.only),
        acl_dir=args.acl_dir,
    )
    result = apply(options)
    for line in result.refused:
        print(f"refused: {line}")
    if result.refused:
        print("nothing was applied: confirm each item in the spec, compile, and plan again")
        return result.exit_code
    for index, wave in enumerate(result.waves):
        for node in wave:
            entry = result.journal.entries.get(node)
            if entry is not None:
                print(f"wave {index}  {node}: {entry.outcome}: {entry.message}")
    for node in result.removed:
        entry = result.journal.entries.get(node)
        if entry is not None:
            print(f"removed  {node}: {entry.outcome}: {entry.message}")
    counts = ", ".join(f"{n} {o}" for o, n in result.journal.summary().items()) or "nothing to do"
    print(f"apply: {counts}; journal: {result.journal.path}")
    if result.stopped_after is not None:
        print(
            f"wave {result.stopped_after} failed: no further wave started; fix the cause and "
            "run again with --resume"
        )
    return result.exit_code
