"""`terraform show -json PLANFILE`, read into a typed `Plan` (see `changes`)."""

from __future__ import annotations

import json
from pathlib import Path

from compiler.terraform import step
from compiler.terraform.changes import Plan, UnknownPlanFormat, read_plan
from compiler.terraform.errors import TerraformError
from compiler.terraform.executor import Executor
from compiler.terraform.workspace import WorkingCopy


def show(
    executor: Executor,
    copy: WorkingCopy,
    file: Path,
    *,
    changed: bool | None = None,
    refresh_only: bool = False,
    timeout: float | None = None,
) -> Plan:
    """The saved plan in `file`; `changed` as `plan` reported it (else read from the plan)."""
    done = step.run(executor, copy, "show", ["-json", str(file)], timeout=timeout)
    try:
        document = json.loads(done.stdout)
        return read_plan(copy.stack, file, changed, document, refresh_only)
    except (ValueError, KeyError, TypeError) as unreadable:
        detail = f"unreadable plan {file}: {unreadable}"
        if isinstance(unreadable, UnknownPlanFormat):
            detail = f"{file}: {unreadable}; this terraform is newer than Paybill knows"
        raise TerraformError(copy.stack, "show", 0, detail) from unreadable
