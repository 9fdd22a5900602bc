"""Bad input and faults of the sync: each leaves the events in the state that says why, and
never a half-made commit."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from compiler.billing.config import state_folder
from compiler.billing.git import Git, without_credentials
from compiler.billing.inbox.sqlite import SqliteInbox
from compiler.billing.run import SyncOptions, run_sync
from compiler.billing.sync import sync_lock
from compiler.errors import EnvironmentProblem
from tests.billing.conftest import store_event, stripe_subscription
from tests.billing.repo import git
from tests.support.billing_api import ProviderApi, serve

NOW = "2026-01-20T00:00:00Z"


def _sync(repo: Path, inbox: SqliteInbox, api: ProviderApi, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PAYBILL_STRIPE_API_BASE", api.base)
    return run_sync(SyncOptions(repo / "spec", repo / "generated", now=NOW), inbox)


def _branches(repo: Path) -> str:
    return git(repo, "branch", "--list", "billing/*")


def test_unknown_tenant_and_unknown_price_fail_with_the_reason(
    repo: Path, inbox: SqliteInbox, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = {
        "sub_x": stripe_subscription("sub_x", "nobody", "active"),
        "sub_y": stripe_subscription("sub_y", "globex", "active", price="price_gold"),
    }
    store_event(inbox, "evt_x", "sub_x")
    store_event(inbox, "evt_y", "sub_y")
    with serve(ProviderApi(stripe=subs)) as api:
        outcome = _sync(repo, inbox, api, monkeypatch)
    reasons = {e.event_id: (e.state, e.reason) for e in inbox.listing(10)}
    assert reasons["evt_x"] == (
        "failed",
        "unknown tenant 'nobody' (subscription sub_x, metadata.paybill_tenant): name a Tenant "
        "of the spec there, or add the tenant",
    )
    assert reasons["evt_y"] == (
        "failed",
        "unknown price or plan code of subscription sub_y (price_gold): map it to a Plan in "
        "BillingProvider/stripe spec.plans",
    )
    assert len(outcome.failed) == 2
    assert _branches(repo) == ""


def test_provider_down_keeps_the_event_pending_after_retries(
    repo: Path, inbox: SqliteInbox, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYBILL_BILLING_RETRIES", "1")
    store_event(inbox, "evt_1", "sub_g")
    api = ProviderApi(stripe={"sub_g": stripe_subscription("sub_g", "globex", "unpaid")})
    api.fail_next = 100
    with serve(api) as running_api:
        outcome = _sync(repo, inbox, running_api, monkeypatch)
        tries = len(running_api.requests)
    [event] = inbox.pending()
    assert event.attempts == 1
    assert "HTTP 503" in event.reason
    assert tries == 2  # the first request and one retry
    assert outcome.pending
    assert _branches(repo) == ""
    # Once the API answers, the next sync finishes the work.
    api.fail_next = 0
    with serve(api) as running_api:
        again = _sync(repo, inbox, running_api, monkeypatch)
    assert again.applied == 1
    assert "billing/globex" in _branches(repo)


def test_slow_provider_times_out_and_stays_pending(
    repo: Path, inbox: SqliteInbox, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYBILL_BILLING_RETRIES", "0")
    monkeypatch.setenv("PAYBILL_BILLING_TIMEOUT", "0.3")
    store_event(inbox, "evt_1", "sub_g")
    api = ProviderApi(stripe={"sub_g": stripe_subscription("sub_g", "globex", "unpaid")})
    api.delay = 1.0
    with serve(api) as running_api:
        _sync(repo, inbox, running_api, monkeypatch)
    [event] = inbox.pending()
    assert event.attempts == 1
    assert "Stripe's API did not answer usably" in event.reason


def test_a_crash_between_commit_and_inbox_is_finished_by_the_next_sync(
    repo: Path, inbox: SqliteInbox, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store_event(inbox, "evt_1", "sub_g")
    api = ProviderApi(stripe={"sub_g": stripe_subscription("sub_g", "globex", "unpaid")})
    original = SqliteInbox.settle

    def crash(self: SqliteInbox, keys, state, reason, tenant) -> None:  # type: ignore[no-untyped-def]
        if state == "applied":
            raise KeyboardInterrupt  # killed after the commit, before the inbox knew
        original(self, keys, state, reason, tenant)

    with serve(api) as running_api:
        monkeypatch.setattr(SqliteInbox, "settle", crash)
        with pytest.raises(KeyboardInterrupt):
            _sync(repo, inbox, running_api, monkeypatch)
        head = git(repo, "rev-parse", "billing/globex").strip()
        assert [e.event_id for e in inbox.pending()] == ["evt_1"]
        monkeypatch.setattr(SqliteInbox, "settle", original)
        _sync(repo, inbox, running_api, monkeypatch)
    [event] = inbox.listing(10)
    assert event.state == "ignored"
    assert event.reason.startswith("older than the tenant's asOf")
    assert git(repo, "rev-parse", "billing/globex").strip() == head


def test_a_second_sync_waits_for_the_first_then_says_so(repo: Path) -> None:
    folder = state_folder(repo / "spec")
    held, release = threading.Event(), threading.Event()

    def first() -> None:
        with sync_lock(folder, 5):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with (
        pytest.raises(EnvironmentProblem, match="another paybill billing sync is running"),
        sync_lock(folder, 0.2),
    ):
        pass
    release.set()
    thread.join()
    with sync_lock(folder, 0.2):
        pass


def test_a_hand_edit_on_the_open_branch_is_kept(
    repo: Path, inbox: SqliteInbox, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = ProviderApi(stripe={"sub_g": stripe_subscription("sub_g", "globex", "unpaid")})
    store_event(inbox, "evt_1", "sub_g", "2026-01-10T00:00:00Z")
    with serve(api) as running_api:
        _sync(repo, inbox, running_api, monkeypatch)
        # A reviewer changes the display name on the pull request's branch.
        git(repo, "checkout", "-q", "billing/globex")
        tenant = repo / "spec" / "tenants" / "globex.yaml"
        tenant.write_text(tenant.read_text().replace("Globex Corporation", "Globex Corp."))
        git(repo, "commit", "-q", "-am", "Globex's new name")
        git(repo, "checkout", "-q", "main")
        api.stripe["sub_g"] = stripe_subscription("sub_g", "globex", "active")
        store_event(inbox, "evt_2", "sub_g", "2026-01-11T00:00:00Z")
        _sync(repo, inbox, running_api, monkeypatch)
    text = git(repo, "show", "billing/globex:spec/tenants/globex.yaml")
    assert "displayName: Globex Corp." in text
    assert "status: active" in text
    parents = git(repo, "log", "-1", "--format=%P", "billing/globex").split()
    assert len(parents) == 2  # the base, and the branch as the reviewer left it


def test_git_errors_never_show_a_remotes_token(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://x-access-token:ghs_secret123@127.0.0.1:9/a/b")
    with pytest.raises(EnvironmentProblem) as raised:
        Git(repo).run("push", "origin", "main", what="push to origin")
    assert "ghs_secret123" not in str(raised.value)
    assert without_credentials("fatal: 'https://x-access-token:ghs_1@github.com/a/b' failed") == (
        "fatal: 'https://***@github.com/a/b' failed"
    )


def test_the_same_lines_edited_on_the_branch_and_on_main_fail_with_the_reason(
    repo: Path, inbox: SqliteInbox, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = ProviderApi(stripe={"sub_g": stripe_subscription("sub_g", "globex", "unpaid")})
    store_event(inbox, "evt_1", "sub_g", "2026-01-10T00:00:00Z")
    tenant = repo / "spec" / "tenants" / "globex.yaml"
    with serve(api) as running_api:
        _sync(repo, inbox, running_api, monkeypatch)
        for branch, name in (("billing/globex", "Globex Corp."), ("main", "Globex Inc.")):
            git(repo, "checkout", "-q", branch)
            tenant.write_text(tenant.read_text().replace("Globex Corporation", name))
            git(repo, "commit", "-q", "-am", f"Globex is {name}")
        head = git(repo, "rev-parse", "billing/globex").strip()
        api.stripe["sub_g"] = stripe_subscription("sub_g", "globex", "active")
        store_event(inbox, "evt_2", "sub_g", "2026-01-11T00:00:00Z")
        _sync(repo, inbox, running_api, monkeypatch)
    event = next(e for e in inbox.listing(10) if e.event_id == "evt_2")
    assert event.state == "failed"
    assert event.reason == (
        "spec/tenants/globex.yaml was changed both on its billing branch and on the base "
        "since; merge them by hand (the sync never overwrites either)"
    )
    assert git(repo, "rev-parse", "billing/globex").strip() == head  # nothing overwritten
