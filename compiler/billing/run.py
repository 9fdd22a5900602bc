"""The `sync` and `reconcile` runs, end to end: lock, working copy, decide, propose, push,
pull requests."""

from __future__ import annotations

import json
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
            branches = unpushed(git)  # also what a sync stopped before pushing left behind
            push(git, branches)
            ctx.outcome.branches = sorted(set(ctx.outcome.branches) | set(branches))
        if options.open_pr:
            _open_pulls(git, state, options.base_branch, base)
    return ctx.outcome


def _open_pulls(git: Git, state: Path, base_branch: str, base: str) -> None:
    """Open or update the pull request of every open billing branch whose commit its pull
    request does not show yet (`.paybill/billing-pulls.json` remembers which commit each
    shows), so that a sync stopped after pushing is finished by the next one."""
    shown_file = state / "billing-pulls.json"
    try:
        shown = json.loads(shown_file.read_text())
    except (FileNotFoundError, ValueError):
        shown = {}
    github = GitHub.from_environment()
    for tenant, sha in sorted(git.branches(not_merged_into=base).items()):
        branch = BRANCH_PREFIX + tenant
        if shown.get(branch) == sha:
            continue
        title, _, body = git.run("log", "-1", "--format=%B", sha).partition("\n")
        github.open_or_update(branch, base_branch, title, body.strip())
        shown[branch] = sha
        shown_file.write_text(json.dumps(shown, indent=1, sort_keys=True) + "\n")


__all__ = ["BRANCH_PREFIX", "SyncOptions", "run_sync"]
