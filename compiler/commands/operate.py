"""Options the operate commands (`plan`, `apply`, `drift`) share, each with its variable:
`PAYBILL_JOBS` (--jobs), `PAYBILL_TF_OVERRIDE` (--tf-override), `PAYBILL_DSN_FILE` (lines
of TARGET=DSN, like repeating --dsn), `PAYBILL_WORKDIR` (--workdir). A flag wins over its
variable."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from compiler.errors import UsageError
from compiler.operate import dsns

JOBS_VARIABLE = "PAYBILL_JOBS"
OVERRIDE_VARIABLE = "PAYBILL_TF_OVERRIDE"
WORKDIR_VARIABLE = "PAYBILL_WORKDIR"
DEFAULT_JOBS = 2
DEFAULT_WORKDIR = ".paybill/work"


def add_generated(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--generated",
        type=Path,
        default=Path("generated"),
        metavar="DIR",
        help="the compiled output to operate (default: generated)",
    )


def add_common(parser: argparse.ArgumentParser, *, dsn: bool = True) -> None:
    add_generated(parser)
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help=f"stacks (and SQL targets) at a time (default: ${JOBS_VARIABLE}, else {DEFAULT_JOBS})",
    )
    parser.add_argument(
        "--tf-override",
        type=Path,
        metavar="FILE",
        help="a provider override copied into each stack's working copy as "
        f"*_override.tf.json, e.g. to point at a local emulator (default: ${OVERRIDE_VARIABLE})",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="where stacks' working copies (and local state) live "
        f"(default: ${WORKDIR_VARIABLE}, else {DEFAULT_WORKDIR})",
    )
    if dsn:
        parser.add_argument(
            "--dsn",
            action="append",
            default=[],
            metavar="TARGET=DSN",
            help=f"a SQL target's database; repeat per target, * for every other "
            f"(default: the lines of ${dsns.FILE_VARIABLE})",
        )


def jobs(args: argparse.Namespace) -> int:
    if args.jobs is not None:
        value, where = args.jobs, "--jobs"
    else:
        text = os.environ.get(JOBS_VARIABLE, "").strip()
        if not text:
            return DEFAULT_JOBS
        where = JOBS_VARIABLE
        value = int(text) if text.isdigit() else 0
    if value < 1:
        raise UsageError(f"{where} must be a whole number of 1 or more")
    return int(value)


def tf_override(args: argparse.Namespace) -> Path | None:
    if args.tf_override is not None:
        return Path(args.tf_override)
    text = os.environ.get(OVERRIDE_VARIABLE, "").strip()
    return Path(text) if text else None


def workdir(args: argparse.Namespace) -> Path:
    if args.workdir is not None:
        return Path(args.workdir)
    text = os.environ.get(WORKDIR_VARIABLE, "").strip()
    return Path(text or DEFAULT_WORKDIR)


def dsn_map(args: argparse.Namespace) -> dsns.Dsns:
    return dsns.load(getattr(args, "dsn", []))
