"""`terraform output -json`: a stack's outputs from its state."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from compiler.terraform import step
from compiler.terraform.executor import Executor
from compiler.terraform.workspace import WorkingCopy


@dataclass(frozen=True)
class Output:
    """One output; the value stays out of reprs and logs, sensitive or not."""

    value: Any = field(repr=False)
    sensitive: bool = False


def output(
    executor: Executor, copy: WorkingCopy, *, timeout: float | None = None
) -> dict[str, Output]:
    done = step.run(executor, copy, "output", ["-json"], timeout=timeout)
    document: dict[str, Any] = json.loads(done.stdout or "{}")
    return {
        name: Output(entry.get("value"), bool(entry.get("sensitive", False)))
        for name, entry in sorted(document.items())
    }
