"""`terraform apply PLANFILE`: applies exactly a saved plan, nothing re-planned.

Terraform refuses a saved plan whose state changed since it was made (`StalePlan`), and
holds the stack's state lock while it applies (`StateLocked` after `lock_timeout`).
"""

from __future__ import annotations

from pathlib import Path

from compiler.terraform import step
from compiler.terraform.executor import Executor
from compiler.terraform.workspace import WorkingCopy


def apply(
    executor: Executor,
    copy: WorkingCopy,
    plan_file: Path,
    *,
    lock_timeout: float = 60,
    timeout: float | None = None,
) -> None:
    args = ["-input=false", *step.lock_args(lock_timeout), str(plan_file.resolve())]
    step.run(executor, copy, "apply", args, timeout=timeout)
