"""`terraform plan -out FILE -detailed-exitcode`: saves the plan and says whether anything
would change (exit 2) or not (exit 0).

The same step serves drift: a normal plan refreshes first, so a resource changed outside
terraform shows as a change (and in the plan's `resource_drift`); `refresh_only` plans only
to accept the outside changes into state, changing nothing in the cloud.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from compiler.terraform import step
from compiler.terraform.executor import Executor
from compiler.terraform.workspace import WorkingCopy

NO_CHANGES, CHANGES = 0, 2


@dataclass(frozen=True)
class Planned:
    """A saved plan file and whether it changes anything."""

    file: Path
    changed: bool
    refresh_only: bool = False


def plan(
    executor: Executor,
    copy: WorkingCopy,
    *,
    out: Path | None = None,
    variables: Mapping[str, str] | None = None,
    refresh_only: bool = False,
    destroy: bool = False,
    lock_timeout: float = 60,
    timeout: float | None = None,
) -> Planned:
    file = (out or copy.plan_file).resolve()
    file.parent.mkdir(parents=True, exist_ok=True)
    args = ["-input=false", "-detailed-exitcode", f"-out={file}", *step.lock_args(lock_timeout)]
    if refresh_only:
        args.append("-refresh-only")
    if destroy:
        args.append("-destroy")
    # As TF_VAR_* rather than -var: a stack that declares no such variable ignores it, so
    # one set of values serves every stack.
    env = {f"TF_VAR_{name}": value for name, value in (variables or {}).items()}
    done = step.run(
        executor, copy, "plan", args, ok=(NO_CHANGES, CHANGES), env=env, timeout=timeout
    )
    return Planned(file, done.exit_code == CHANGES, refresh_only)
