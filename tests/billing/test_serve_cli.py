"""`paybill billing serve` as a user runs it: a missing secret stops it before it listens; it
answers on /healthz and stores a signed delivery; `paybill billing status` then lists it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from compiler.cli import main
from tests.billing.conftest import STRIPE_SECRET, stripe_event, stripe_subscription
from tests.support.billing_sign import body_of, stripe_headers
from tests.support.tools import REPO


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_missing_secret_stops_serve_with_its_name(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TEST_STRIPE_WEBHOOK", raising=False)
    assert main(["billing", "serve", "--spec", str(repo / "spec")]) == 3
    assert capsys.readouterr().err == (
        "paybill: BillingProvider/stripe spec.secrets.webhook: the environment variable "
        "TEST_STRIPE_WEBHOOK is not set; set it to the provider's webhook secret\n"
    )


def test_serve_stores_and_status_lists(
    repo: Path, secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    port = _port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "compiler",
            "billing",
            "serve",
            "--spec",
            str(repo / "spec"),
            "--port",
            str(port),
        ],
        cwd=REPO,
        env={**os.environ, **secrets},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert server.poll() is None
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert health.json() == {"ok": True, "providers": ["stripe"]}
        body = body_of(
            stripe_event(
                "evt_9",
                "customer.subscription.updated",
                stripe_subscription("sub_g", "globex", "unpaid"),
            )
        )
        answer = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/stripe",
            content=body,
            headers=stripe_headers(body, STRIPE_SECRET),
            timeout=10,
        )
        assert answer.json() == {"event": "evt_9", "stored": True}
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "stripe evt_9 customer.subscription.updated: stored" in err
    assert STRIPE_SECRET not in err
    assert main(["billing", "status", "--spec", str(repo / "spec")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1 pending, 0 applied, 0 ignored, 0 failed",
        "pending  stripe evt_9 customer.subscription.updated",
    ]
