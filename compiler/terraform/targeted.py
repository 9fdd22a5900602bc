"""Two steps the ordered teardown of data stores needs, beside plan and apply:

* `apply -target=ADDRESS -auto-approve`: a narrow, in-place change to a few resources (lift a
  database's deletion protection before a reviewed replacement or deletion);
* `state rm ADDRESS`: forget a resource without deleting it (keep a tenant's key, which its
  retained snapshots are encrypted with, when its stack is torn down).
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.terraform import step
from compiler.terraform.errors import TimedOut, classify
from compiler.terraform.executor import Executor
from compiler.terraform.workspace import WorkingCopy


def apply_targets(
    executor: Executor,
    copy: WorkingCopy,
    addresses: Sequence[str],
    *,
    lock_timeout: float = 60,
    timeout: float | None = None,
) -> None:
    targets = [f"-target={address}" for address in addresses]
    args = ["-input=false", "-auto-approve", *step.lock_args(lock_timeout), *targets]
    step.run(executor, copy, "apply", args, timeout=timeout)


def _state(
    executor: Executor,
    copy: WorkingCopy,
    args: Sequence[str],
    timeout: float | None,
) -> str:
    """`terraform state <subcommand> ...`: the subcommand comes first (`-no-color`, which the
    other steps lead with, would be read as a subcommand here); its output has no colour."""
    done = executor.run(["state", *args], copy.path, dict(copy.env), timeout)
    if done.timed_out:
        raise TimedOut(copy.stack, f"state {args[0]}", done.exit_code, "interrupted")
    if done.exit_code != 0:
        raise classify(copy.stack, f"state {args[0]}", done.exit_code, done.stderr, done.stdout)
    return done.stdout


def state_rm(
    executor: Executor,
    copy: WorkingCopy,
    addresses: Sequence[str],
    *,
    lock_timeout: float = 60,
    timeout: float | None = None,
) -> None:
    if addresses:
        _state(executor, copy, ["rm", *step.lock_args(lock_timeout), *addresses], timeout)


def state_list(executor: Executor, copy: WorkingCopy, *, timeout: float | None = None) -> list[str]:
    """The addresses terraform's state holds (none when there is no state yet)."""
    listed = _state(executor, copy, ["list"], timeout)
    return [line.strip() for line in listed.splitlines() if line.strip()]
