"""What `paybill billing ...` runs (imported only then)."""

from __future__ import annotations

import argparse
import logging
import sys

from compiler.billing.config import provider_settings, require_providers, state_folder
from compiler.billing.inbox import STATES, open_inbox
from compiler.billing.sync import Outcome
from compiler.errors import UsageError
from compiler.pipeline import parse_folder


def run(args: argparse.Namespace) -> int:
    spec_dir = args.spec
    if not spec_dir.is_dir():
        raise UsageError(f"--spec {spec_dir} is not a folder")
    inbox = open_inbox(args.inbox, state_folder(spec_dir))
    try:
        if args.billing == "serve":
            return _serve(args, inbox)
        if args.billing == "status":
            return _status(args, inbox)
        return _sync(args, inbox)
    finally:
        inbox.close()


def _serve(args: argparse.Namespace, inbox: object) -> int:
    import uvicorn  # noqa: PLC0415 (loaded only when used)

    from compiler.billing.providers import make_provider  # noqa: PLC0415 (loaded only when used)
    from compiler.billing.receive import create_app  # noqa: PLC0415 (loaded only when used)

    settings = provider_settings(parse_folder(args.spec))
    require_providers(settings, args.spec)
    for item in settings.values():
        item.webhook_secret()  # a missing secret stops here, not at the first delivery
    providers = {name: make_provider(s) for name, s in settings.items()}
    app = create_app(providers, inbox)  # type: ignore[arg-type]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    print(
        f"paybill billing: receiving for {', '.join(sorted(providers))} on "
        f"http://{args.host}:{args.port}/webhooks/<provider>",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    return 0


def _status(args: argparse.Namespace, inbox: object) -> int:
    from compiler.billing.inbox import Inbox  # noqa: PLC0415 (loaded only when used)

    assert isinstance(inbox, Inbox)
    counts = inbox.counts()
    print(", ".join(f"{counts[s]} {s}" for s in STATES))
    for event in inbox.listing(max(args.limit, 0)):
        tenant = f" {event.tenant}" if event.tenant else ""
        reason = f": {event.reason}" if event.reason else ""
        tries = f" (tried {event.attempts} times)" if event.attempts else ""
        print(
            f"{event.state:8} {event.provider} {event.event_id} {event.type}{tenant}{reason}{tries}"
        )
    return 0


def _sync(args: argparse.Namespace, inbox: object) -> int:
    from compiler.billing.inbox import Inbox  # noqa: PLC0415 (loaded only when used)
    from compiler.billing.run import SyncOptions, run_sync  # noqa: PLC0415 (loaded only when used)

    assert isinstance(inbox, Inbox)
    options = SyncOptions(
        spec_dir=args.spec,
        generated=args.generated,
        push=args.push,
        open_pr=args.open_pr,
        base_branch=args.base_branch,
        lock_timeout=args.lock_timeout,
    )
    outcome = run_sync(options, inbox, reconciling=args.billing == "reconcile")
    _report(outcome)
    return 1 if outcome.failed else 0


def _report(outcome: Outcome) -> None:
    print(
        f"{outcome.applied} events applied, {outcome.ignored} ignored, "
        f"{len(outcome.failed)} failed, {len(outcome.pending)} left pending; "
        f"{len(outcome.branches)} branches proposed"
    )
    for branch in outcome.branches:
        print(f"  proposed: {branch}")
    for line in outcome.failed:
        print(f"  failed: {line}")
    for line in outcome.pending:
        print(f"  pending: {line}")
    for line in outcome.orphans:
        print(f"  subscription without a tenant: {line}")
    for line in outcome.unbilled:
        print(f"  tenant without a subscription: {line}")
