"""Receiver throughput: N Stripe-signed events from C concurrent senders to `paybill billing
serve` (its own process, pinned to one core, SQLite inbox); then every event is counted in
the inbox (none lost) and a redelivery of all of them is stored once.

    .venv/bin/python benchmarks/billing_receive.py [EVENTS] [SENDERS]     (default 5000 50)

Target: >= 500 verified events/s on one core, none lost under 50 concurrent senders. Prints
numbers; the machine is shared, so they are noisy."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.billing.conftest import stripe_event, stripe_subscription  # noqa: E402
from tests.support.billing_sign import body_of, stripe_headers  # noqa: E402

SECRET = "whsec_benchmark_0123456789"
PROVIDER = """\
apiVersion: paybill.dev/v1
kind: BillingProvider
metadata: {name: stripe}
spec:
  type: stripe
  secrets: {webhook: BENCH_STRIPE_WEBHOOK, api: BENCH_STRIPE_API}
  tenantKey: metadata.paybill_tenant
  plans: {price_pro: pro}
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _send(port: int, events: int, senders: int) -> tuple[float, int]:
    bodies = [
        body_of(
            stripe_event(
                f"evt_{i}",
                "customer.subscription.updated",
                stripe_subscription(f"sub_{i}", f"t{i:05d}", "active"),
            )
        )
        for i in range(events)
    ]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    failures = 0

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            body = queue.get_nowait()
            answer = await client.post(
                "/webhooks/stripe", content=body, headers=stripe_headers(body, SECRET)
            )
            failures += answer.status_code != 200

    limits = httpx.Limits(max_connections=senders)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
    ) as client:
        start = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(senders)))
        return time.perf_counter() - start, failures


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    senders = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec"
        (spec / "billing").mkdir(parents=True)
        for name in ("platform.yaml", "plans"):
            source = REPO / "spec" / name
            if source.is_dir():
                subprocess.run(["cp", "-r", str(source), str(spec / name)], check=True)
            else:
                (spec / name).write_text(source.read_text())
        (spec / "billing" / "stripe.yaml").write_text(PROVIDER)
        port = _port()
        env = {**os.environ, "BENCH_STRIPE_WEBHOOK": SECRET, "BENCH_STRIPE_API": "unused"}
        server = subprocess.Popen(
            [
                "taskset",
                "-c",
                "0",
                sys.executable,
                "-m",
                "compiler",
                "billing",
                "serve",
                "--spec",
                str(spec),
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the receiver did not start")
            os.sched_setaffinity(0, {1})  # the senders on the other core
            cpu = _cpu_seconds(server.pid)
            took, failed = asyncio.run(_send(port, events, senders))
            cpu = _cpu_seconds(server.pid) - cpu
            print(f"first pass: {took:.2f} s, non-200: {failed}", file=sys.stderr)
            again, failed_again = asyncio.run(_send(port, events, senders))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                print("the receiver did not stop within 30 s of SIGTERM; killed", file=sys.stderr)
        inbox = sqlite3.connect(Path(tmp) / ".paybill" / "billing-inbox.sqlite3")
        stored = inbox.execute("SELECT count(*) FROM billing_events").fetchone()[0]
        inbox.close()
    print(
        f"receiver, SQLite inbox, 1 core: {events} events from {senders} concurrent senders "
        f"in {took:.2f} s = {events / took:.0f} events/s; non-200 answers: {failed}"
    )
    print(
        f"the receiver's own CPU time for them: {cpu:.2f} s = {events / cpu:.0f} events per "
        "CPU-second (what one core does with the machine to itself)"
    )
    print(
        f"redelivery of all {events}: {again:.2f} s = {events / again:.0f} events/s; "
        f"non-200: {failed_again}"
    )
    print(f"stored: {stored} of {events} (lost: {events - stored}, stored twice: 0 by the key)")


if __name__ == "__main__":
    main()
