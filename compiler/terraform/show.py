"""`terraform show -json PLANFILE`, read into a typed `Plan` (see `changes`)."""

from __future__ import annotations

import json

from compiler.terraform import step
from compiler.terraform.changes import Plan, UnknownPlanFormat, read_plan
from compiler.terraform.errors import TerraformError
from compiler.terraform.executor import Executor
from compiler.terraform.plan import Planned
from compiler.terraform.workspace import WorkingCopy


def show(
    executor: Executor, copy: WorkingCopy, planned: Planned, *, timeout: float | None = None
) -> Plan:
    done = step.run(executor, copy, "show", ["-json", str(planned.file)], timeout=timeout)
    try:
        document = json.loads(done.stdout)
        return read_plan(copy.stack, planned.file, planned.changed, document, planned.refresh_only)
    except (ValueError, KeyError, TypeError) as unreadable:
        detail = f"unreadable plan {planned.file}: {unreadable}"
        if isinstance(unreadable, UnknownPlanFormat):
            detail = f"{planned.file}: {unreadable}; this terraform is newer than Paybill knows"
        raise TerraformError(copy.stack, "show", 0, detail) from unreadable
