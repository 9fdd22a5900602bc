"""`paybill describe KIND/NAME [SPEC_DIR]`."""

from __future__ import annotations

import argparse
import sys

from compiler.commands.common import add_spec_dir
from compiler.describe import describe
from compiler.pipeline import validate


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Show what the compiler derives for one document: for a tenant its plan, "
        "isolation, effective limits, features, pool, and which agents and workflows it "
        "gets — and why not the others."
    )
    parser.add_argument("subject", metavar="KIND/NAME", help="e.g. Tenant/acme, Agent/collector")
    add_spec_dir(parser)
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    parser.set_defaults(run=run, collect_cycles=False)


def run(args: argparse.Namespace) -> int:
    spec = validate(args.spec_dir)
    sys.stdout.write(describe(spec, args.subject, args.format))
    return 0
