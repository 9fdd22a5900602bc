"""API Gateway: a usage plan's quota changed in place comes back as text.

`UpdateUsagePlan` receives every patch value as a string (`"replace" /quota/limit "5000"`);
moto stores the quota's limit and offset as given and answers them as JSON strings, which
the AWS provider's client refuses ("expected Integer to be json.Number, got string"), so an
apply that changes a tenant's quota fails. It also reads the throttle's rate, a double on
AWS, with `int()`, which fails on "12.5". Here the numbers are stored as numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.apigateway.models import UsagePlan

_MARK = "_paybill_numeric_usage_plan"


def _number(value: Any, kind: type) -> Any:
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        return value  # AWS would refuse it; moto keeps what it was given


def apply() -> None:
    original: Callable[[UsagePlan, list[dict[str, Any]]], None] = UsagePlan.apply_patch_operations
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def apply_patch_operations(self: UsagePlan, patch_operations: list[dict[str, Any]]) -> None:
        rates = [
            op
            for op in patch_operations
            if op.get("op") in ("add", "replace") and op.get("path", "").endswith("/rateLimit")
        ]
        original(self, [op for op in patch_operations if op not in rates])
        for op in rates:
            self.throttle["rateLimit"] = _number(op["value"], float)
        for field in ("limit", "offset"):
            if field in (self.quota or {}):
                self.quota[field] = _number(self.quota[field], int)

    setattr(apply_patch_operations, _MARK, True)
    UsagePlan.apply_patch_operations = apply_patch_operations  # type: ignore[method-assign]
