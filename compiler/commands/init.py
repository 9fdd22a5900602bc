"""`paybill init DIR [--name NAME] [--region REGION] [--state-bucket B] [--lock-table T]
[--force] | paybill init DIR --update`."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from compiler.errors import UsageError
from compiler.scaffold.create import Written, create, update
from compiler.scaffold.templates import NAME, REGION, Settings

DEFAULT_REGION = "eu-central-1"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write a new repository into DIR, ready to push: a small valid spec/ (a platform "
        "with one pool, a plan per isolation model, two tenants, a table and an agent "
        "with a workflow), its compiled generated/, the JSON Schemas for editors, GitHub "
        "Actions workflows for pull requests (plan), merges (apply) and a schedule "
        "(drift), README.md, .gitignore and requirements.txt. DIR must be empty (or hold "
        "only .git) unless --force. With --update, only the files that follow paybill "
        "(the workflows and schemas/) are rewritten in an existing repository."
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="the new repository's folder")
    parser.add_argument(
        "--name",
        help="the platform's name (default: DIR's name, if it is a valid one): 2-40 of "
        "a-z, 0-9 and '-', starting with a letter",
    )
    parser.add_argument(
        "--region", default=DEFAULT_REGION, help=f"AWS region (default: {DEFAULT_REGION})"
    )
    parser.add_argument(
        "--state-bucket",
        metavar="BUCKET",
        help="S3 bucket for Terraform state (default: <name>-paybill-state)",
    )
    parser.add_argument(
        "--lock-table",
        metavar="TABLE",
        help="DynamoDB table for Terraform state locks (default: <name>-paybill-locks)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that is not empty: files of the same name are replaced "
        "(generated/ as a whole); everything else is left alone",
    )
    mode.add_argument(
        "--update",
        action="store_true",
        help="only rewrite the workflows and schemas/ of an existing repository for this "
        "paybill version",
    )
    parser.set_defaults(run=run)


def settings(args: argparse.Namespace) -> Settings:
    name = args.name if args.name is not None else _name_from(args.dir)
    if not NAME.match(name):
        raise UsageError(
            f"--name {name!r}: a platform name is 2-40 of a-z, 0-9 and '-', starting with a "
            "letter and not ending with '-'"
        )
    if not REGION.match(args.region):
        raise UsageError(f"--region {args.region!r} is not an AWS region name (e.g. eu-central-1)")
    bucket = args.state_bucket or f"{name}-paybill-state"
    table = args.lock_table or f"{name}-paybill-locks"
    if not _BUCKET.match(bucket):
        raise UsageError(f"--state-bucket {bucket!r} is not a valid S3 bucket name")
    if not _TABLE.match(table):
        raise UsageError(f"--lock-table {table!r} is not a valid DynamoDB table name")
    return Settings(name=name, region=args.region, state_bucket=bucket, lock_table=table)


def _name_from(folder: Path) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", folder.resolve().name.lower()).strip("-")
    if NAME.match(name):
        return name
    raise UsageError(
        f"the folder name {folder.resolve().name!r} is not a valid platform name: "
        "give one with --name (2-40 of a-z, 0-9 and '-', starting with a letter)"
    )


def run(args: argparse.Namespace) -> int:
    if args.update:
        done = update(args.dir)
        _report(done, "updated")
        return 0
    done = create(args.dir, settings(args), force=args.force)
    _report(done, "created")
    print(
        "\nnext:\n"
        f"  cd {done.target} && git init -b main && git add -A\n"
        "  git commit -m 'Paybill platform'\n"
        "  then read README.md: create the state bucket and lock table, the AWS roles the\n"
        "  workflows assume, and the repository variables; push, and open a pull request"
    )
    return 0


def _report(done: Written, verb: str) -> None:
    total = len(done.added) + len(done.replaced) + len(done.unchanged)
    counts = (
        f"{len(done.added)} added, {len(done.replaced)} replaced, {len(done.unchanged)} unchanged"
    )
    if done.removed:
        counts += f", {len(done.removed)} removed"
    print(f"{verb} {done.target}: {total} files ({counts})")
    for path in done.replaced:
        print(f"  replaced {path}")
    for path in done.removed:
        print(f"  removed {path}")
