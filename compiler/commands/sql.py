"""`paybill sql drift|apply --target T --dsn DSN [--generated DIR] [--dry-run]`, and
`paybill sql files --target T [--generated DIR]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compiler.sqlops.converge import Outcome

DEFAULT_GENERATED = "generated"
DEFAULT_LOCK_TIMEOUT = 30.0  # seconds; compiler.sqlops.converge's defaults
DEFAULT_ATTEMPTS = 3
DEFAULT_END_AGENTS_AFTER = 10.0
EXIT_DRIFT = 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Read the live catalogs (roles, memberships, privileges, policies, row-level "
        "security) of what a target manages and compare them with "
        "generated/sql/shared/state.json and generated/sql/<target>/ (state.json, "
        "tenants/). Roles the spec does not manage are never touched; tables and rows are "
        "never dropped."
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    drift_parser = actions.add_parser(
        "drift",
        help="print the differences; exit 0 when there are none, 2 when there are some",
    )
    _common(drift_parser)
    drift_parser.set_defaults(run=run_drift, usage_exit=1)
    apply_parser = actions.add_parser(
        "apply",
        help="converge the database in one transaction (grant, revoke, create, drop policies)",
    )
    _common(apply_parser)
    apply_parser.add_argument(
        "--dry-run", action="store_true", help="print the SQL that would run; change nothing"
    )
    apply_parser.add_argument(
        "--attempts",
        type=_attempts,
        default=DEFAULT_ATTEMPTS,
        metavar="N",
        help=(
            "after a lock wait past --lock-timeout, roll back and start again, up to N "
            f"attempts in all (default: {DEFAULT_ATTEMPTS})"
        ),
    )
    apply_parser.add_argument(
        "--end-agents-after",
        type=_seconds,
        default=DEFAULT_END_AGENTS_AFTER,
        metavar="S",
        help=(
            "end the session of an agent this apply takes away (its tenant leaves active, or "
            "it leaves the spec) once it has blocked apply for S seconds; no other session "
            f"is ever ended (default: {DEFAULT_END_AGENTS_AFTER:g})"
        ),
    )
    apply_parser.set_defaults(run=run_apply)
    files_parser = actions.add_parser(
        "files",
        help="list the .sql files that build a target, in the order to apply them (with psql)",
        description=(
            "The files of generated/sql/shared/ and generated/sql/<target>/ (tenants/ "
            "included), in lexical order of their path relative to their own folder: the "
            "order in which a database applies them, each in one transaction."
        ),
    )
    _target_options(files_parser)
    files_parser.set_defaults(run=run_files)


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", required=True, metavar="T", help="pool-<pool> or tenant-<tenant>"
    )
    parser.add_argument(
        "--generated",
        type=Path,
        default=Path(DEFAULT_GENERATED),
        metavar="DIR",
        help=f"output folder of paybill compile (default: {DEFAULT_GENERATED})",
    )


def _common(parser: argparse.ArgumentParser) -> None:
    _target_options(parser)
    parser.add_argument(
        "--dsn",
        required=True,
        metavar="DSN",
        help="libpq connection string; keep the password in PGPASSWORD or ~/.pgpass",
    )
    parser.add_argument(
        "--lock-timeout",
        type=_seconds,
        default=DEFAULT_LOCK_TIMEOUT,
        metavar="S",
        help=(
            "wait at most S seconds for any lock (another apply, a session using a table "
            "that must change); then apply starts again (--attempts) and drift exits 3, "
            f"changing nothing (default: {DEFAULT_LOCK_TIMEOUT:g})"
        ),
    )


def _attempts(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of attempts from 1 to 100")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds from 0 to 86400")
    return value


# The sqlops modules (and psycopg) are imported when a sql command runs: every other command
# would otherwise pay for them at start.


def run_drift(args: argparse.Namespace) -> int:
    from compiler.sqlops.converge import drift, load_state  # noqa: PLC0415

    outcome = drift(
        args.dsn, load_state(args.generated, args.target), lock_timeout=args.lock_timeout
    )
    target = outcome.state.target
    if not outcome.changes:
        print(f"{target}: no drift ({_checked(outcome)})")
        return 0
    differences = _count(len(outcome.changes), "difference", "differences")
    print(f"{target}: {differences} from the compiled state")
    for change in outcome.changes:
        print(f"  {change.text}")
    if outcome.applicable:
        print(f"run: paybill sql apply --target {target} --dsn DSN")
    return EXIT_DRIFT


def run_apply(args: argparse.Namespace) -> int:
    from compiler.sqlops.converge import apply, load_state  # noqa: PLC0415

    outcome = apply(
        args.dsn,
        load_state(args.generated, args.target),
        dry_run=args.dry_run,
        lock_timeout=args.lock_timeout,
        attempts=args.attempts,
        end_agents_after=args.end_agents_after,
    )
    target = outcome.state.target
    if args.dry_run:
        if outcome.sql:
            print("BEGIN;")
            print("\n".join(outcome.sql))
            print("COMMIT;")
        else:
            print(f"-- {target}: nothing to apply ({_checked(outcome)})")
        _print_left(outcome)
        return 0
    if outcome.applicable:
        changes = _count(len(outcome.applicable), "change", "changes")
        print(f"{target}: applied {changes} in one transaction")
        for change in outcome.applicable:
            print(f"  {change.text}")
    else:
        print(f"{target}: nothing to apply ({_checked(outcome)})")
    for ended in outcome.ended:
        print(f"  {ended}")
    _print_left(outcome)
    return 0


def run_files(args: argparse.Namespace) -> int:
    from compiler.sqlops.files import apply_order  # noqa: PLC0415

    for path in apply_order(args.generated, args.target):
        print(path.as_posix())
    return 0


def _print_left(outcome: Outcome) -> None:
    for change in outcome.left:
        print(f"  not changed: {change.text}")


def _checked(outcome: Outcome) -> str:
    state = outcome.state
    counts = (
        _count(len(state.roles), "role", "roles"),
        _count(len(state.tables), "table", "tables"),
        _count(len(state.policies), "policy", "policies"),
    )
    return ", ".join(counts) + " checked"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
