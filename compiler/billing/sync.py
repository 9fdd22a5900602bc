"""`paybill billing sync`: every pending event becomes a change of its tenant, proposed on
`billing/<tenant>`.

Events are hints: each subscription they name is fetched again, mapped to its tenant through
`tenantKey` (or the tenant that already names it), and applied only if the news is newer
than the tenant's `asOf`. A provider that does not answer leaves the events pending, with the
reason; the next sync tries again. One sync runs at a time (a lock in `.paybill/`). Events
are marked applied only after their commit exists, so a sync killed halfway is finished by
the next one (which finds the news already applied).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from compiler.billing import decide as rules
from compiler.billing.config import ProviderSettings, provider_settings, state_folder
from compiler.billing.edit import EditError, read_view
from compiler.billing.facts import SpecFacts
from compiler.billing.git import Git
from compiler.billing.inbox import Event, Inbox
from compiler.billing.model import NotFound, ProviderUnavailable, Snapshot
from compiler.billing.providers import make_provider
from compiler.billing.providers.base import Provider
from compiler.billing.work import TenantWork
from compiler.errors import EnvironmentProblem, UsageError

MakeProvider = Callable[[ProviderSettings], Provider]
FETCHES_AT_ONCE = 8  # subscriptions fetched at the same time (well under providers' limits)


@dataclass
class Outcome:
    """What a sync did, for the command's report."""

    applied: int = 0
    ignored: int = 0
    failed: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # subscriptions without a tenant
    unbilled: list[str] = field(default_factory=list)  # tenants without a subscription


@contextmanager
def sync_lock(folder: Path, timeout: float) -> Iterator[None]:
    """One sync at a time per repository; a second waits up to `timeout` seconds."""
    fd = os.open(folder / "billing-sync.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise EnvironmentProblem(
                        f"another paybill billing sync is running in {folder.parent} and did "
                        f"not finish within {timeout:g} s; it will apply the pending events, "
                        "or run again later (--lock-timeout SECONDS waits longer)"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


@dataclass
class Context:
    git: Git
    base: str
    spec_prefix: str  # the spec folder, relative to the repository, with a trailing '/'
    facts: SpecFacts
    providers: Mapping[str, Provider]
    inbox: Inbox
    now: str
    outcome: Outcome
    branches: dict[str, str]  # open billing branches: tenant -> commit
    work: Path | None = None  # the working copy, checked out at `base`

    def read_base(self, file: str) -> str:
        """A file as the base has it: from the working copy (checked out at the base, not
        yet edited when this is asked), else from git."""
        if self.work is not None:
            try:
                return (self.work / file).read_text()
            except FileNotFoundError:
                pass
        found = self.git.show(self.base, file)
        if found is None:
            raise EditError(f"{file} is not in {self.base[:12]}")
        return found


def collect(ctx: Context) -> dict[str, TenantWork]:
    """Every pending event applied to its tenant's view (or settled), and every scheduled
    downgrade that is due: the tenants to change."""
    works: dict[str, TenantWork] = {}
    groups: dict[tuple[str, str], list[Event]] = {}
    for event in ctx.inbox.pending():
        if event.provider not in ctx.providers:
            _settle(ctx, [event], "failed", f"no BillingProvider named '{event.provider}'")
        elif event.subscription is None:
            _settle(ctx, [event], "ignored", "the event names no subscription")
        else:
            groups.setdefault((event.provider, event.subscription), []).append(event)
    ordered = sorted(groups.items())
    # Fetching is waiting on the network: a few at a time; deciding stays in order.
    with ThreadPoolExecutor(max_workers=FETCHES_AT_ONCE) as pool:
        fetched = list(pool.map(lambda g: _fetch(ctx, g[0][0], g[0][1], g[1]), ordered))
    for (_, events), news in zip(ordered, fetched, strict=True):
        if news is not None:
            _apply_news(ctx, works, news, events)
    for name in sorted(ctx.facts.tenant_files):
        scheduled = ctx.facts.parsed.tenants[name].model.spec.subscription.scheduled
        if scheduled is not None and scheduled.at <= ctx.now:
            work = works.get(name) or _start(ctx, name)
            decision = rules.due(work.after, ctx.facts.plans, ctx.facts.pools_by_region, ctx.now)
            if decision is not None and decision.after is not None:
                works[name] = _applied(work, decision, [], "")
    return works


def _fetch(ctx: Context, provider: str, subscription: str, events: list[Event]) -> Snapshot | None:
    try:
        return ctx.providers[provider].fetch(subscription)
    except ProviderUnavailable as exc:
        ctx.inbox.retry_later([e.key for e in events], str(exc))
        ctx.outcome.pending.extend(f"{provider} {e.event_id}: {exc}" for e in events)
    except NotFound as exc:
        _settle(ctx, events, "failed", str(exc))
    return None


def _apply_news(
    ctx: Context,
    works: dict[str, TenantWork],
    news: Snapshot,
    events: list[Event],
    seen: tuple[str, str] | None = None,
) -> None:
    """Apply `news` to its tenant; `seen` is (time, id) of the news when no event brought it
    (reconcile), else the newest event's."""
    linked = ctx.facts.billed_by.get((news.provider, news.id))
    tenant = linked or news.tenant
    key = ctx.providers[news.provider].settings.tenant_key
    if tenant is None or tenant not in ctx.facts.tenant_files:
        said = f"'{tenant}'" if tenant else "none"
        reason = (
            f"unknown tenant {said} (subscription {news.id}, {key}): name a Tenant of the spec "
            "there, or add the tenant"
        )
        _settle(ctx, events, "failed", reason)
        if not events:
            ctx.outcome.orphans.append(f"{news.provider} {news.id}: {reason}")
        return
    try:
        work = works.get(tenant) or _start(ctx, tenant)
    except EditError as exc:
        _settle(ctx, events, "failed", str(exc), tenant)
        return
    if work.after.id not in (None, news.id) or work.after.provider not in (None, news.provider):
        _settle(
            ctx,
            events,
            "failed",
            f"tenant '{tenant}' is billed by subscription {work.after.id} of "
            f"{work.after.provider}, not {news.id} of {news.provider}",
            tenant,
        )
        return
    if seen is None:
        latest = max(events, key=lambda e: (e.created, e.event_id))
        seen = (latest.created, latest.event_id)
    settings = ctx.providers[news.provider].settings
    decision = rules.decide(
        work.after,
        news,
        seen[0],
        seen[1],
        ctx.facts.plans,
        settings.plans,
        ctx.facts.pools_by_region,
        ctx.now,
    )
    if decision.outcome != "apply" or decision.after is None:
        state = "ignored" if decision.outcome == "ignore" else "failed"
        _settle(ctx, events, state, decision.reason, tenant)
        if state == "failed" and not events:
            ctx.outcome.failed.append(f"{tenant}: {decision.reason}")
        return
    works[tenant] = _applied(work, decision, events, seen[1])


def _applied(
    work: TenantWork, decision: rules.Decision, events: list[Event], event: str
) -> TenantWork:
    assert decision.after is not None
    work.after = decision.after
    work.applied.extend(e.key for e in events)
    if event:
        work.events.append(event)
    if decision.migration is not None:
        work.migration = decision.migration
    return work


def _start(ctx: Context, tenant: str) -> TenantWork:
    """The tenant's file as a change starts from: its open branch's (which keeps what
    reviewers pushed there), merged with what changed on the base since; else the base's."""
    file = ctx.spec_prefix + ctx.facts.tenant_files[tenant]
    base_text = ctx.read_base(file)
    text, open_branch = base_text, ctx.branches.get(tenant)
    if open_branch is not None:
        text = _branch_text(ctx, file, base_text, open_branch)
    view = read_view(text, file, tenant)
    base_view = read_view(base_text, file, tenant) if text != base_text else None
    return TenantWork(tenant, file, text, view, view, open_branch, base_view=base_view)


def _branch_text(ctx: Context, file: str, base_text: str, branch: str) -> str:
    ours = ctx.git.show(branch, file)
    fork = ctx.git.run("merge-base", branch, ctx.base).strip()
    before = ctx.git.show(fork, file)
    if ours is None or before is None:
        raise EditError(f"{file} is missing on billing/ or at its fork point; fix the branch")
    if base_text in (before, ours):
        return ours if before == base_text else base_text
    merged = ctx.git.merge_file(ours, before, base_text)
    if merged is None:
        raise EditError(
            f"{file} was changed both on its billing branch and on the base since; merge "
            "them by hand (the sync never overwrites either)"
        )
    return merged


def _settle(
    ctx: Context, events: list[Event], state: str, reason: str, tenant: str | None = None
) -> None:
    ctx.inbox.settle([e.key for e in events], state, reason, tenant)
    if state == "ignored":
        ctx.outcome.ignored += len(events)
    elif state == "failed":
        ctx.outcome.failed.extend(f"{e.provider} {e.event_id}: {reason}" for e in events)


def make_context(
    spec_dir: Path,
    work_spec: Path,
    git: Git,
    base: str,
    inbox: Inbox,
    now: str,
    make: MakeProvider = make_provider,
    work_root: Path | None = None,
) -> Context:
    facts = SpecFacts.read(work_spec)
    settings = provider_settings(facts.parsed)
    # A merged branch's next change starts from the base again.
    open_branches = git.branches(not_merged_into=base)
    prefix = relative(spec_dir, git.root)
    return Context(
        git=git,
        base=base,
        spec_prefix=prefix + "/" if prefix else "",
        facts=facts,
        providers={name: make(s) for name, s in settings.items()},
        inbox=inbox,
        now=now,
        outcome=Outcome(),
        branches=open_branches,
        work=work_root,
    )


def relative(folder: Path, root: Path) -> str:
    try:
        return folder.resolve().relative_to(root.resolve()).as_posix().strip(".")
    except ValueError:
        raise UsageError(f"{folder} is not inside the repository {root}") from None


def apply_news(
    ctx: Context, works: dict[str, TenantWork], news: Snapshot, seen: tuple[str, str]
) -> None:
    """Reconcile's entry: `news` listed from the provider at `seen` (time, id)."""
    _apply_news(ctx, works, news, [], seen)


__all__ = ["Context", "Outcome", "collect", "make_context", "state_folder", "sync_lock"]
