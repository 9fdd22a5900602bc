"""End to end: a signed webhook -> the inbox -> sync (refetching from a local server with
Stripe's API shapes) -> a commit on billing/<tenant> whose output `compile --check` finds
current and whose `plan` names the change and why; a second sync makes no commit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.billing.inbox.sqlite import SqliteInbox
from compiler.billing.providers import make_provider
from compiler.billing.receive import create_app
from compiler.billing.run import SyncOptions, run_sync
from compiler.cli import main
from tests.billing.conftest import STRIPE_SECRET, settings, stripe_event, stripe_subscription
from tests.billing.repo import git
from tests.support.billing_api import ProviderApi, serve
from tests.support.billing_receiver import running
from tests.support.billing_sign import body_of, stripe_headers

NOW = "2026-01-20T00:00:00Z"


def _deliver(inbox: SqliteInbox, event: dict) -> None:
    body = body_of(event)
    with running(create_app({"stripe": make_provider(settings("stripe"))}, inbox)) as client:
        answer = client.post(
            "/webhooks/stripe", content=body, headers=stripe_headers(body, STRIPE_SECRET)
        )
    assert answer.status_code == 200, answer.text


def test_webhook_to_branch_to_plan(
    platform: Path,
    tmp_path: Path,
    secrets: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = tmp_path / "clone"
    shutil.copytree(platform, repo)
    inbox = SqliteInbox(tmp_path / "inbox.sqlite3")
    unpaid = stripe_subscription(
        "sub_globex",
        "globex",
        "unpaid",
        latest_invoice={
            "id": "in_1",
            "object": "invoice",
            "created": 1_767_200_000,
            "status_transitions": {"finalized_at": 1_767_225_600},
        },
    )
    with serve(ProviderApi(stripe={"sub_globex": unpaid})) as api:
        monkeypatch.setenv("PAYBILL_STRIPE_API_BASE", api.base)
        _deliver(
            inbox, stripe_event("evt_1", "customer.subscription.updated", unpaid, 1_768_000_000)
        )
        options = SyncOptions(repo / "spec", repo / "generated", now=NOW)
        outcome = run_sync(options, inbox)
        assert (outcome.applied, outcome.failed, outcome.branches) == (1, [], ["billing/globex"])
        head = git(repo, "rev-parse", "billing/globex").strip()
        again = run_sync(options, inbox)
        assert (again.applied, again.branches) == (0, [])
        assert git(repo, "rev-parse", "billing/globex").strip() == head  # no new commit
    message = git(repo, "log", "-1", "--format=%B", "billing/globex")
    assert message.splitlines()[0] == (
        "billing: globex active -> suspended, subscription active -> unpaid"
    )
    assert "Billing-Event: evt_1" in message.splitlines()
    diff = git(repo, "diff", "main", "billing/globex", "--", "spec")
    assert [line for line in diff.splitlines() if line.startswith(("+ ", "- ", "+  ", "-  "))] == [
        "-  state: active",
        "-  subscription: {status: active}",
        "+  state: suspended",
        "+  subscription:",
        "+    status: unpaid",
        "+    provider: stripe",
        "+    id: sub_globex",
        '+    asOf: "2026-01-09T23:06:40Z"',
        "+    event: evt_1",
        '+    since: "2026-01-01T00:00:00Z"',
    ]
    changed = git(repo, "diff", "--name-only", "main", "billing/globex").split()
    assert "spec/tenants/globex.yaml" in changed
    assert all(p == "spec/tenants/globex.yaml" or "globex" in p for p in changed), changed
    assert [e.state for e in inbox.listing(10)] == ["applied"]

    git(repo, "checkout", "-q", "billing/globex")
    monkeypatch.chdir(repo)
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 0
    code = main(
        ["plan", "spec", "--base", "main", "--no-terraform", "--out", str(tmp_path / "plan")]
    )
    assert code == 2
    summary = (tmp_path / "plan" / "summary.md").read_text()
    assert (
        "**globex**: state active → suspended, subscription active → unpaid, because "
        "subscription sub_globex (stripe) is unpaid since 2026-01-01T00:00:00Z (event evt_1)"
    ) in summary
    inbox.close()
