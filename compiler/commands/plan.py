"""`paybill plan [SPEC_DIR] --base REV|DIR [--generated DIR] [--out PLAN_DIR] [--jobs N]
[--tf-override FILE] [--dsn TARGET=DSN ...] [--no-terraform]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.commands import operate
from compiler.commands.common import add_spec_dir
from compiler.operate import report
from compiler.operate.current import require_current
from compiler.operate.planning import PlanOptions, make_plan

DEFAULT_OUT = "plan"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Compare the compiled output with a base (a git revision or a folder) node by "
        "node, plan exactly the changed stacks with Terraform, diff the databases and the "
        "agents' permissions, and refuse what destroys or moves data unless the spec "
        "confirms it. Writes PLAN_DIR/summary.md (one pull-request comment), "
        "PLAN_DIR/plan.json and the saved Terraform plans. Exit codes: 0 no changes, "
        "2 changes, 1 refused or spec errors, 3 environment (also when a stack's provider is "
        "not installed: it is listed as schema-checked only and not planned)."
    )
    add_spec_dir(parser)
    parser.add_argument(
        "--base",
        metavar="REV|DIR",
        help="what the change is compared with: a git revision (e.g. origin/main) of the "
        "repository --generated is in, or a folder holding a compiled output; without it, "
        "everything is new (a first deployment)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="PLAN_DIR",
        help=f"where the plan is written (default: {DEFAULT_OUT})",
    )
    operate.add_common(parser)
    parser.add_argument(
        "--no-terraform",
        action="store_true",
        help="no Terraform plans (no cloud needed): change set, databases, permissions only",
    )
    parser.set_defaults(run=run, usage_exit=1)


def run(args: argparse.Namespace) -> int:
    require_current(args.spec_dir, args.generated)
    options = PlanOptions(
        generated=args.generated,
        base=args.base,
        out=args.out,
        jobs=operate.jobs(args),
        terraform=not args.no_terraform,
        tf_override=operate.tf_override(args),
        dsns=operate.dsn_map(args),
        workdir=operate.workdir(args),
    )
    for earlier in ("summary.md", "plan.json"):  # never left behind by a plan that fails
        (args.out / earlier).unlink(missing_ok=True)
    result = make_plan(options)
    summary = report.write(result, args.out)
    print(f"{report.headline(result)}: {summary}")
    for refused in result.refused:
        print(f"  refused: {refused.what}; add to {refused.owner}: {refused.confirmation}")
    for stack, item in result.stacks.items():
        if item.not_installed:
            print(f"  {stack}: {item.note} (not planned)")
        elif item.deferred_after is not None:
            waits = "changes" if item.waits_for == "changes" else "is not applied yet"
            print(
                f"  {stack}: planned after wave {item.deferred_after} "
                f"({', '.join(item.because)} {waits})"
            )
    return result.exit_code
