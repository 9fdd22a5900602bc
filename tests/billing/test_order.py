"""Any order and duplication of one subscription's events, with syncs at any points between
deliveries, ends in the same tenant file as in-order delivery (events are hints: each sync
fetches the subscription, and news older than the tenant's asOf never applies). Runs the
real collect -> decide -> edit steps against a stand-in repository that keeps the tenant's
file on its open branch."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.billing.edit import edit_tenant
from compiler.billing.facts import SpecFacts
from compiler.billing.inbox.base import Stored
from compiler.billing.inbox.sqlite import SqliteInbox
from compiler.billing.model import Notice, Snapshot
from compiler.billing.sync import Context, Outcome, collect
from tests.support.tools import REPO

FILE = "spec/tenants/globex.yaml"
NOW = "2026-03-01T00:00:00Z"
# The provider says since when (Stripe: when the unpaid invoice was finalized).
FINAL = Snapshot(
    "stripe", "sub_g", "unpaid", "unpaid", "globex", ("price_pro",), None, "2026-01-05T00:00:00Z"
)
EVENTS = [(f"evt_{i}", f"2026-01-{10 + i:02d}T00:00:00Z") for i in range(5)]


class _Provider:
    settings = type(
        "S", (), {"tenant_key": "metadata.paybill_tenant", "plans": {"price_pro": "pro"}}
    )

    def fetch(self, subscription: str) -> Snapshot:
        return FINAL


class _Repo:
    """The base's file, and the open branch's once a change was proposed."""

    def __init__(self, text: str) -> None:
        self.base, self.branch = text, None

    def show(self, rev: str, path: str) -> str:
        return self.branch if rev == "branch" and self.branch is not None else self.base

    def run(self, *args: str) -> str:
        return "base"

    def merge_file(self, *texts: str) -> str:
        raise AssertionError("the base does not change here")


def _spec(root: Path) -> SpecFacts:
    if not root.exists():
        shutil.copytree(REPO / "spec", root)
    return SpecFacts.read(root)


def _run(tmp: Path, deliveries: list[int], syncs: set[int]) -> str:
    facts = _spec(tmp / "spec")
    repo = _Repo((REPO / FILE).read_text())
    inbox = SqliteInbox(tmp / f"inbox-{len(list(tmp.glob('inbox-*')))}.sqlite3")
    try:
        for step, index in enumerate([*deliveries, None]):  # type: ignore[operator]
            if index is not None:
                event, created = EVENTS[index]
                notice = Notice(event, "customer.subscription.updated", "sub_g", created, True)
                inbox.store([Stored("stripe", notice, created)])
            if step in syncs or index is None:
                _sync(repo, facts, inbox)
    finally:
        inbox.close()
    return repo.branch if repo.branch is not None else repo.base


def _sync(repo: _Repo, facts: SpecFacts, inbox: SqliteInbox) -> None:
    ctx = Context(
        git=repo,  # type: ignore[arg-type]
        base="base",
        spec_prefix="spec/",
        facts=facts,
        providers={"stripe": _Provider()},  # type: ignore[dict-item]
        inbox=inbox,
        now=NOW,
        outcome=Outcome(),
        branches={"globex": "branch"} if repo.branch is not None else {},
    )
    for work in collect(ctx).values():
        if work.needs_commit:
            repo.branch = edit_tenant(work.text, work.file, work.after)
        if work.applied:
            inbox.settle(work.applied, "applied", "", work.tenant)


@settings(max_examples=40, deadline=None)
@given(
    order=st.lists(st.integers(0, len(EVENTS) - 1), min_size=1, max_size=12),
    syncs=st.sets(st.integers(0, 12)),
)
def test_any_order_and_duplication_ends_as_in_order(
    tmp_path_factory, order: list[int], syncs: set[int]
) -> None:
    tmp = tmp_path_factory.mktemp("order")
    delivered = sorted(set(order))
    in_order = _run(tmp, delivered, set(range(len(delivered))))
    shuffled = _run(tmp, order, syncs)
    assert shuffled == in_order
    newest = EVENTS[max(order)]
    assert f"event: {newest[0]}" in in_order
    assert f'asOf: "{newest[1]}"' in in_order
