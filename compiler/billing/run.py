"""The `sync` and `reconcile` runs, end to end: lock, working copy, decide, propose, push,
pull requests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from compiler.billing import times
from compiler.billing.config import state_folder
from compiler.billing.git import BRANCH_PREFIX, Git
from compiler.billing.inbox import Inbox
from compiler.billing.propose import Paths, propose
from compiler.billing.providers import make_provider
from compiler.billing.pulls import GitHub, push, unpushed
from compiler.billing.reconcile import reconcile
from compiler.billing.sync import MakeProvider, Outcome, collect, make_context, relative, sync_lock
from compiler.errors import EnvironmentProblem

WORKING_COPY = "billing-work"


@dataclass(frozen=True)
class SyncOptions:
    spec_dir: Path
    generated: Path
    push: bool = False
    open_pr: bool = False
    base_branch: str = "main"
    lock_timeout: float = 60.0
    now: str | None = None  # tests fix the clock


def run_sync(
    options: SyncOptions,
    inbox: Inbox,
    make: MakeProvider = make_provider,
    *,
    reconciling: bool = False,
) -> Outcome:
    """Sync the inbox's pending events (or, `reconciling`, every subscription the providers
    list) into proposals."""
    git = Git.around(options.spec_dir)
    state = state_folder(options.spec_dir)
    with sync_lock(state, options.lock_timeout):
        base = git.sha("HEAD")
        if base is None:
            raise EnvironmentProblem(f"{git.root} has no commit yet; commit the spec first")
        work = state / WORKING_COPY
        clean = state / f"{WORKING_COPY}.at"  # says the working copy is exactly this commit
        if not (clean.exists() and clean.read_text() == base and (work / ".git").exists()):
            git.scratch(work, base)
        clean.unlink(missing_ok=True)
        spec = relative(options.spec_dir, git.root)
        paths = Paths(work, spec, relative(options.generated, git.root))
        now = options.now or times.now_text()
        ctx = make_context(options.spec_dir, work / spec, git, base, inbox, now, make, work)
        works = reconcile(ctx) if reconciling else collect(ctx)
        commits = propose(ctx, works, paths, int(time.time()))
        git.restore(work, base, sorted({f for c in commits for f in c.files}))
        clean.write_text(base)
        if options.push or options.open_pr:
            branches = unpushed(git)
            push(git, branches)
            ctx.outcome.branches = sorted(set(ctx.outcome.branches) | set(branches))
        if options.open_pr:
            github = GitHub.from_environment()
            for commit in commits:
                title, _, body = commit.message.partition("\n")
                github.open_or_update(commit.branch, options.base_branch, title, body.strip())
    return ctx.outcome


__all__ = ["BRANCH_PREFIX", "SyncOptions", "run_sync"]
