"""Two steps the ordered teardown of data stores needs, beside plan and apply:

* `apply -target=ADDRESS -auto-approve`: a narrow, in-place change to a few resources (lift a
  database's deletion protection before a reviewed replacement or deletion);
* `state rm ADDRESS`: forget a resource without deleting it (keep a tenant's key, which its
  retained snapshots are encrypted with, when its stack is torn down).
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.terraform import step
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


def state_rm(
    executor: Executor,
    copy: WorkingCopy,
    addresses: Sequence[str],
    *,
    lock_timeout: float = 60,
    timeout: float | None = None,
) -> None:
    if addresses:
        args = [*step.lock_args(lock_timeout), *addresses]
        step.run(executor, copy, "state", ["rm", *args], timeout=timeout)


def state_list(executor: Executor, copy: WorkingCopy, *, timeout: float | None = None) -> list[str]:
    """The addresses terraform's state holds (none when there is no state yet)."""
    done = step.run(executor, copy, "state", ["list"], ok=(0, 1), timeout=timeout)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]
