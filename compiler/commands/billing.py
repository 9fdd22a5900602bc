"""`paybill billing serve|sync|reconcile|status`: billing news becomes pull requests.

Configuring the group imports nothing but argparse: the provider SDKs, the HTTP server,
ruamel and psycopg are imported by the subcommand that runs (compiler.billing.cli).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compiler.load.discover import DEFAULT_SPEC


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Billing news (Stripe, Lago, Orb) becomes pull requests on the spec, one per "
        "tenant on branch billing/<tenant> (docs/billing.md)."
    )
    commands = parser.add_subparsers(dest="billing_command", metavar="COMMAND")
    commands.required = True
    serve = _command(commands, "serve", "receive webhooks: verify, store in the inbox, answer")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument("--port", type=int, default=8787, help="port (default: %(default)s)")
    _inbox(serve)
    sync = _command(commands, "sync", "propose the pending events' changes on billing/<tenant>")
    _inbox(sync)
    _proposing(sync)
    reconcile = _command(
        commands, "reconcile", "compare every subscription with the spec and propose the fixes"
    )
    _inbox(reconcile)
    _proposing(reconcile)
    status = _command(commands, "status", "the inbox: events pending, applied, ignored, failed")
    _inbox(status)
    status.add_argument("--limit", type=int, default=20, help="newest events listed (default: 20)")


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
    parser.add_argument(
        "--spec",
        type=Path,
        default=Path(DEFAULT_SPEC),
        metavar="SPEC_DIR",
        help=f"the spec folder (default: {DEFAULT_SPEC})",
    )
    parser.set_defaults(run=_run, billing=name)
    return parser


def _inbox(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inbox",
        metavar="URL",
        help="postgresql://... for a shared inbox (default: a SQLite file in .paybill/ beside "
        "the spec folder)",
    )


def _proposing(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--generated",
        type=Path,
        default=Path("generated"),
        metavar="DIR",
        help="the compiled output committed beside the spec (default: generated)",
    )
    parser.add_argument("--push", action="store_true", help="push the billing/* branches to origin")
    parser.add_argument(
        "--open-pr",
        action="store_true",
        help="also open or update one pull request per tenant (GITHUB_TOKEN, GITHUB_REPOSITORY)",
    )
    parser.add_argument(
        "--base-branch", default="main", help="the pull requests' base (default: main)"
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for another sync (default: 60)",
    )


def _run(args: argparse.Namespace) -> int:
    from compiler.billing.cli import run  # the heavy imports start here  # noqa: PLC0415 (loaded only when used)

    return run(args)
