"""The tenant's API limits, billing-aware: an API Gateway usage plan and the tenant's key.

The plan's `apiRequestsPerSecond` becomes the steady rate, with bursts of twice that; `null`
(unlimited) leaves the account's limits in charge. Only an active tenant's key is enabled. A
suspended or offboarding tenant gets a rate and a daily quota of zero as well, so a key that
was copied somewhere still gets nothing.

The usage plan is associated with the platform's API stages by the application's own
deployment (they are not part of the spec); the limits travel with the key either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.inputs import TenantStack

BURST_FACTOR = 2


@dataclass(frozen=True)
class Api:
    key_id: str
    usage_plan_id: str


def api_limits(b: StackBuilder, tenant: TenantStack) -> Api:
    attributes: dict[str, Any] = {
        "name": b.aws_name(),
        "description": _describe(tenant),
    }
    rate = tenant.api_requests_per_second
    if tenant.api_blocked:
        attributes["throttle_settings"] = [{"rate_limit": 0, "burst_limit": 0}]
        attributes["quota_settings"] = [{"limit": 0, "period": "DAY"}]
    elif rate is not None:
        attributes["throttle_settings"] = [{"rate_limit": rate, "burst_limit": rate * BURST_FACTOR}]
    plan = b.add("usage_plan", "aws_api_gateway_usage_plan", attributes)
    key = b.add(
        "api_key",
        "aws_api_gateway_api_key",
        {
            "name": b.aws_name(),
            "description": f"Tenant {tenant.name}",
            "enabled": tenant.api_enabled,
        },
    )
    b.add(
        "usage_plan_key",
        "aws_api_gateway_usage_plan_key",
        {"key_id": key.ref("id"), "key_type": "API_KEY", "usage_plan_id": plan.ref("id")},
    )
    return Api(key.ref("id"), plan.ref("id"))


def _describe(tenant: TenantStack) -> str:
    if tenant.api_blocked:
        return f"Tenant {tenant.name} ({tenant.state}): no requests"
    rate = tenant.api_requests_per_second
    limit = "unlimited" if rate is None else f"{rate} requests/s"
    return f"Tenant {tenant.name}, plan {tenant.plan}: {limit}"
