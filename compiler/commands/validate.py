"""`paybill validate [SPEC_DIR] [--base REV]`."""

from __future__ import annotations

import argparse

from compiler.commands.common import add_base, add_spec_dir
from compiler.pipeline import validate


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Load, validate and resolve a spec; exit 0 valid, 1 spec errors, 2 usage."
    add_spec_dir(parser)
    add_base(parser)
    parser.set_defaults(run=run, collect_cycles=False)


def run(args: argparse.Namespace) -> int:
    spec = validate(args.spec_dir, args.base)
    live = spec.live_tenants
    print(
        f"{args.spec_dir}: valid — {len(spec.pools)} pools, {len(spec.plans)} plans, "
        f"{len(spec.tenants)} tenants ({len(live)} live), {len(spec.tables)} tables, "
        f"{len(spec.tools)} tools, {len(spec.agents)} agents, {len(spec.workflows)} workflows"
    )
    return 0
