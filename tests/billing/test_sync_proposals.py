"""What a sync proposes beyond one status change: pushing to a remote and one pull request
per tenant, opened then updated in place; a migration proposed without confirmation; a
scheduled downgrade applied once due; reconcile; the commands' output."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.billing.inbox.sqlite import SqliteInbox
from compiler.billing.run import SyncOptions, run_sync
from compiler.cli import main
from compiler.errors import EnvironmentProblem
from tests.billing.conftest import store_event, stripe_subscription
from tests.billing.repo import git
from tests.support import fake_github_api
from tests.support.billing_api import ProviderApi, serve

NOW = "2026-01-20T00:00:00Z"


def test_push_and_one_pull_request_per_tenant_updated_in_place(
    repo: Path,
    tmp_path: Path,
    inbox: SqliteInbox,
    secrets: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    github = fake_github_api.FakeGitHub("ghs_test_token", "acme/platform")
    api = ProviderApi(stripe={"sub_g": stripe_subscription("sub_g", "globex", "unpaid")})
    with serve(api) as running, fake_github_api.serve(github):
        monkeypatch.setenv("PAYBILL_STRIPE_API_BASE", running.base)
        monkeypatch.setenv("GITHUB_TOKEN", github.token)
        monkeypatch.setenv("GITHUB_REPOSITORY", github.repository)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        options = SyncOptions(repo / "spec", repo / "generated", push=True, open_pr=True, now=NOW)
        store_event(inbox, "evt_1", "sub_g", "2026-01-10T00:00:00Z")
        run_sync(options, inbox)
        first = git(remote, "rev-parse", "billing/globex").strip()
        api.stripe["sub_g"] = stripe_subscription("sub_g", "globex", "active")
        store_event(inbox, "evt_2", "sub_g", "2026-01-11T00:00:00Z")
        run_sync(options, inbox)
        calls = len(github.calls)
        run_sync(options, inbox)  # nothing new: no commit, no call
        assert len(github.calls) == calls
    second = git(remote, "rev-parse", "billing/globex").strip()
    assert first != second
    assert git(remote, "merge-base", "--is-ancestor", first, second) == ""  # fast-forward
    [pull] = github.pulls.values()
    assert pull["head"]["ref"] == "billing/globex"
    assert pull["base"]["ref"] == "main"
    assert pull["title"] == "billing: globex billing details updated"  # as main says
    assert "Billing-Event: evt_2" in pull["body"]
    assert [c[0] for c in github.calls] == ["GET", "POST", "GET", "PATCH"]


def test_a_plan_change_to_another_isolation_is_a_migration_proposal(
    repo: Path, inbox: SqliteInbox, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # globex is on pro (bridge); enterprise is silo: its data moves.
    api = ProviderApi(
        stripe={"sub_g": stripe_subscription("sub_g", "globex", "active", price="price_ent")}
    )
    store_event(inbox, "evt_1", "sub_g", "2026-01-10T00:00:00Z")
    with serve(api) as running:
        monkeypatch.setenv("PAYBILL_STRIPE_API_BASE", running.base)
        outcome = run_sync(SyncOptions(repo / "spec", repo / "generated", now=NOW), inbox)
    assert outcome.branches == ["billing/globex"]
    message = git(repo, "log", "-1", "--format=%B", "billing/globex")
    assert message.startswith("billing: globex plan pro -> enterprise")
    assert (
        "**This is a migration.** Tenant `globex` moves from a bridge plan to a silo one" in message
    )
    text = git(repo, "show", "billing/globex:spec/tenants/globex.yaml")
    assert "plan: enterprise" in text
    assert "pool:" not in text  # silo tenants have no pool
    assert "confirm" not in text  # never confirmed by the sync
    # bridge -> silo is a migration like any other: planned by the same planner, with the
    # confirmation to add; the compiler refuses it until then, so only the spec changes.
    note = message.split("**This is a migration.**")[1].split("`paybill compile`")[0]
    assert note == MIGRATION_NOTE
    assert "add 'migration: {from: bridge/us-shared, to: silo/aws/us-east-1}'" in message
    assert "`generated/` is therefore not regenerated in this commit." in message
    changed = git(repo, "diff", "--name-only", "main", "billing/globex").split()
    assert changed == ["spec/tenants/globex.yaml"]


MIGRATION_NOTE = """ Tenant `globex` moves from a bridge plan to a silo one: its data moves \
to another home. The change is proposed without any confirmation; review it as a migration \
(docs/migrations.md).

From `bridge/us-shared` to `silo/aws/us-east-1`, in this order:

1. create the new home beside the old: silo/aws/us-east-1: stack tenant-globex-2 with its \
own database tenant-globex-2
2. copy the data: each of the tenant's tables, in dependency order, from database \
tenant-globex to tenant-globex-2; rows counted on both sides before the switch (a mismatch \
stops the migration with both counts)
3. switch: the tenant's records, routing, ACL and entitlements name silo/aws/us-east-1
4. retire the old home bridge/us-shared: stack tenant-globex destroyed, its database's final \
snapshot kept, only after the second confirmation, 'retireOld: true'

To confirm it, add to the tenant's spec `migration: {from: bridge/us-shared, to: \
silo/aws/us-east-1}` and `stack: tenant-globex-2` (the new home's stack, beside the old \
one, tenant-globex, until it is retired); once it is applied and checked, a second \
confirmation, `retireOld: true` in that block, retires the old home.

"""


def test_a_downgrade_waits_for_period_end_then_the_sync_applies_it(
    repo: Path, inbox: SqliteInbox, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # acme is on enterprise; starter takes features and limits away: at period end.
    sub = stripe_subscription("sub_a", "acme", "active", price="price_basic")
    store_event(inbox, "evt_1", "sub_a", "2026-01-10T00:00:00Z")
    with serve(ProviderApi(stripe={"sub_a": sub})) as running:
        monkeypatch.setenv("PAYBILL_STRIPE_API_BASE", running.base)
        run_sync(SyncOptions(repo / "spec", repo / "generated", now=NOW), inbox)
    text = git(repo, "show", "billing/acme:spec/tenants/acme.yaml")
    assert "plan: enterprise" in text
    assert 'scheduled: {plan: starter, at: "2027-01-03T18:13:20Z"}' in text
    # Merged; the period ends; a sync with no event applies the downgrade.
    git(repo, "merge", "-q", "--no-edit", "billing/acme")
    later = SyncOptions(repo / "spec", repo / "generated", now="2027-01-04T00:00:00Z")
    with serve(ProviderApi(stripe={"sub_a": sub})) as running:
        monkeypatch.setenv("PAYBILL_STRIPE_API_BASE", running.base)
        outcome = run_sync(later, inbox)
    assert outcome.failed == []
    assert outcome.branches == ["billing/acme"]
    due = git(repo, "show", "billing/acme:spec/tenants/acme.yaml")
    assert "plan: starter" in due
    assert "scheduled" not in due
    assert "network" not in due  # a pooled tenant has no network of its own
    # silo -> pooled moves the data: proposed, and the compiler's refusal quoted.
    message = git(repo, "log", "-1", "--format=%B", "billing/acme")
    assert (
        "**This is a migration.** Tenant `acme` moves from a silo plan to a pooled one" in message
    )
    assert "needs a reviewed confirmation" in message
    assert "`generated/` is therefore not regenerated in this commit." in message
    changed = git(repo, "diff", "--name-only", "main", "billing/acme").split()
    assert changed == ["spec/tenants/acme.yaml"]


def test_reconcile_heals_a_missed_webhook_and_reports_what_matches_nothing(
    repo: Path, inbox: SqliteInbox, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = {
        "sub_g": stripe_subscription("sub_g", "globex", "unpaid"),
        "sub_z": stripe_subscription("sub_z", "zeta", "active"),
    }
    with serve(ProviderApi(stripe=subs)) as running:
        monkeypatch.setenv("PAYBILL_STRIPE_API_BASE", running.base)
        options = SyncOptions(repo / "spec", repo / "generated", now=NOW)
        outcome = run_sync(options, inbox, reconciling=True)
    assert outcome.branches == ["billing/globex"]
    assert outcome.orphans == [
        "stripe sub_z: unknown tenant 'zeta' (subscription sub_z, metadata.paybill_tenant): "
        "name a Tenant of the spec there, or add the tenant"
    ]
    assert "acme (active): no subscription names it" in outcome.unbilled
    assert not any(line.startswith("globex") for line in outcome.unbilled)
    message = git(repo, "log", "-1", "--format=%B", "billing/globex")
    assert f"Billing-Event: reconcile-{NOW}" in message


def test_commands_report_and_status_lists_the_inbox(
    repo: Path,
    secrets: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inbox = SqliteInbox(repo / ".paybill" / "billing-inbox.sqlite3")
    store_event(inbox, "evt_1", "sub_g", "2026-01-10T00:00:00Z")
    store_event(inbox, "evt_2", "sub_x", "2026-01-10T00:00:00Z")
    inbox.close()
    subs = {
        "sub_g": stripe_subscription("sub_g", "globex", "unpaid"),
        "sub_x": stripe_subscription("sub_x", "nobody", "active"),
    }
    monkeypatch.chdir(repo)
    with serve(ProviderApi(stripe=subs)) as running:
        monkeypatch.setenv("PAYBILL_STRIPE_API_BASE", running.base)
        code = main(["billing", "sync", "--spec", "spec"])
    out = capsys.readouterr().out
    assert code == 1  # an event failed
    assert out.splitlines()[:3] == [
        "1 events applied, 0 ignored, 1 failed, 0 left pending; 1 branches proposed",
        "  proposed: billing/globex",
        "  failed: stripe evt_2: unknown tenant 'nobody' (subscription sub_x, "
        "metadata.paybill_tenant): name a Tenant of the spec there, or add the tenant",
    ]
    assert main(["billing", "status", "--spec", "spec"]) == 0
    status = capsys.readouterr().out.splitlines()
    assert status[0] == "0 pending, 1 applied, 0 ignored, 1 failed"
    assert any(
        line.startswith("applied  stripe evt_1 customer.subscription.updated globex")
        for line in status
    )


def test_a_pull_request_that_could_not_be_opened_is_opened_by_the_next_sync(
    repo: Path,
    tmp_path: Path,
    inbox: SqliteInbox,
    secrets: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    github = fake_github_api.FakeGitHub("ghs_right", "acme/platform")
    api = ProviderApi(stripe={"sub_g": stripe_subscription("sub_g", "globex", "unpaid")})
    store_event(inbox, "evt_1", "sub_g")
    with serve(api) as running, fake_github_api.serve(github):
        monkeypatch.setenv("PAYBILL_STRIPE_API_BASE", running.base)
        monkeypatch.setenv("GITHUB_REPOSITORY", github.repository)
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("GITHUB_TOKEN", "ghs_wrong")
        options = SyncOptions(repo / "spec", repo / "generated", push=True, open_pr=True, now=NOW)
        with pytest.raises(EnvironmentProblem, match="HTTP 401 Bad credentials"):
            run_sync(options, inbox)
        assert github.pulls == {}
        monkeypatch.setenv("GITHUB_TOKEN", "ghs_right")
        run_sync(options, inbox)
    [pull] = github.pulls.values()
    assert pull["title"] == "billing: globex active -> suspended, subscription active -> unpaid"
