"""`paybill acl check TENANT AGENT WORKFLOW STEP [--generated DIR] [--approved]`.

Answers from the compiled files alone, through `compiler.acl.authorize`, the same function an
application calls: exit 0 allow, 1 deny (with the reason), 2 usage, 3 when an ACL file is
damaged or of another version.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.errors import EnvironmentProblem, UsageError, escape

DEFAULT_GENERATED = "generated"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Work with the compiled agent ACLs (generated/acl/)."
    commands = parser.add_subparsers(dest="acl_command", metavar="ACL_COMMAND")
    commands.required = True
    check = commands.add_parser(
        "check",
        help="may AGENT run STEP of WORKFLOW in TENANT? exit 0 allow, 1 deny",
        description=(
            "Decide from generated/acl/<TENANT>.json whether AGENT may run STEP of WORKFLOW "
            "in TENANT, and say why. Exit 0 allow, 1 deny, 2 usage, 3 damaged ACL file."
        ),
    )
    check.add_argument("tenant", metavar="TENANT")
    check.add_argument("agent", metavar="AGENT")
    check.add_argument("workflow", metavar="WORKFLOW")
    check.add_argument("step", metavar="STEP")
    check.add_argument(
        "--generated",
        type=Path,
        default=Path(DEFAULT_GENERATED),
        metavar="DIR",
        help=f"the compiled output folder (default: {DEFAULT_GENERATED})",
    )
    check.add_argument(
        "--approved",
        action="store_true",
        help="a person has approved this run of the step (needed for steps with human approval)",
    )
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    # Imported here, as it loads the JSON Schema validator that other commands do not need.
    from compiler.acl import AclError, authorize, load_tenant  # noqa: PLC0415

    folder: Path = args.generated / "acl"
    if not folder.is_dir():
        raise UsageError(
            f"'{args.generated}' holds no acl/ folder; run 'paybill compile SPEC_DIR --out "
            f"{args.generated}' first, or point --generated at the compiled output"
        )
    try:
        acl = load_tenant(folder, args.tenant)
    except AclError as error:
        raise EnvironmentProblem(
            f"{error}; compile again with this paybill ('paybill compile SPEC_DIR --out "
            f"{args.generated}') or restore the file from version control"
        ) from error
    decision = authorize(acl, args.agent, args.workflow, args.step, approved=args.approved)
    if decision.allowed:
        print(f"allow: {escape(decision.reason)}")
        return 0
    hint = " (once a person has approved, check again with --approved)"
    print(f"deny: {escape(decision.reason)}{hint if decision.needs_approval else ''}")
    return 1
