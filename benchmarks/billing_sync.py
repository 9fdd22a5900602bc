"""Sync throughput: a fleet of N tenants (the compile benchmark's mix, one file each) with a
Stripe BillingProvider, compiled and committed; one pending event per tenant; a local server
with Stripe's API shapes answering each subscription (a third each active, unpaid, and
past due past the grace period). Times one `billing sync`: refetch N subscriptions, decide,
edit N tenant files, compile once, N commits onto billing/<tenant>; then a second sync with
nothing new (which must make no commit).

    .venv/bin/python benchmarks/billing_sync.py [TENANTS]     (default 1000)

Target: 1,000 pending events for 1,000 tenants in <= 60 s. Prints numbers; the machine is
shared, so they are noisy. Setting up the fleet (its first full compile) is not timed."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import fleet  # noqa: E402
from compile_fleet import MIX  # noqa: E402

from compiler.billing.inbox.base import Stored  # noqa: E402
from compiler.billing.inbox.sqlite import SqliteInbox  # noqa: E402
from compiler.billing.model import Notice  # noqa: E402
from compiler.billing.run import SyncOptions, run_sync  # noqa: E402
from compiler.pipeline import compile_spec  # noqa: E402
from tests.billing.conftest import stripe_subscription  # noqa: E402
from tests.support.billing_api import ProviderApi, serve  # noqa: E402

PROVIDER = """\
apiVersion: paybill.dev/v1
kind: BillingProvider
metadata: {name: stripe}
spec:
  type: stripe
  secrets: {webhook: BENCH_STRIPE_WEBHOOK, api: BENCH_STRIPE_API}
  tenantKey: metadata.paybill_tenant
  plans: {price_free: free, price_starter: starter, price_pro: pro, price_ent: enterprise}
"""
NOW = "2026-01-20T00:00:00Z"
PRICE = {
    "free": "price_free",
    "starter": "price_starter",
    "pro": "price_pro",
    "enterprise": "price_ent",
}
STATUSES = ("active", "unpaid", "past_due")
LATE = {
    "object": "invoice",
    "created": 1_767_000_000,
    "status_transitions": {"finalized_at": 1_767_000_000},
}  # 2025-12-29: grace is over


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def setup(root: Path, tenants: int) -> dict[str, dict]:
    spec = root / "spec"
    fleet.write_fleet(spec, tenants, MIX, per_tenant=True)
    (spec / "billing").mkdir()
    (spec / "billing" / "stripe.yaml").write_text(PROVIDER)
    start = time.perf_counter()
    compile_spec(spec, root / "generated")
    print(
        f"setup: fleet of {tenants} tenants compiled in {time.perf_counter() - start:.1f} s "
        "(not timed below)"
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=b", "-c", "user.email=b@example.com", "add", "-A")
    git(root, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "fleet")
    subs = {}
    for index, path in enumerate(sorted((spec / "tenants").glob("*.yaml"))):
        name = path.stem
        plan = next(
            line.split(": ")[1]
            for line in path.read_text().splitlines()
            if line.startswith("  plan: ")
        )
        status = STATUSES[index % 3]
        extra = {"latest_invoice": LATE} if status == "past_due" else {}
        subs[f"sub_{name}"] = stripe_subscription(f"sub_{name}", name, status, PRICE[plan], **extra)
    return subs


def main() -> None:
    tenants = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    os.environ.update(BENCH_STRIPE_WEBHOOK="whsec_unused", BENCH_STRIPE_API="sk_test_bench")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "platform"
        subs = setup(root, tenants)
        inbox = SqliteInbox(Path(tmp) / "inbox.sqlite3")
        inbox.store(
            [
                Stored(
                    "stripe",
                    Notice(
                        f"evt_{i}",
                        "customer.subscription.updated",
                        sub,
                        "2026-01-10T00:00:00Z",
                        True,
                    ),
                    "2026-01-10T00:00:00Z",
                )
                for i, sub in enumerate(sorted(subs))
            ]
        )
        options = SyncOptions(root / "spec", root / "generated", now=NOW)
        with serve(ProviderApi(stripe=subs)) as api:
            os.environ["PAYBILL_STRIPE_API_BASE"] = api.base
            start = time.perf_counter()
            outcome = run_sync(options, inbox)
            took = time.perf_counter() - start
            start = time.perf_counter()
            again = run_sync(options, inbox)
            idle = time.perf_counter() - start
        counts = inbox.counts()
        inbox.close()
    print(
        f"sync of {tenants} pending events for {tenants} tenants: {took:.1f} s "
        f"({outcome.applied} applied, {len(outcome.failed)} failed, "
        f"{len(outcome.branches)} branches); inbox: {counts}"
    )
    print(f"second sync with nothing new: {idle:.1f} s, {len(again.branches)} branches")
    for line in outcome.failed[:5]:
        print(f"  failed: {line}")


if __name__ == "__main__":
    main()
