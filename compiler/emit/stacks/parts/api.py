"""The platform API and each tenant's limits on it, billing-aware.

The API is an API Gateway REST API with one stage, `STAGE`, in front of the application:
every path and method (`/{proxy+}`, `ANY`) is forwarded to the application's own address,
the stack's input `api_backend_url`, and every request must carry an API key. A pool has one
for its pooled and bridge tenants; a silo tenant has its own (none once it is offboarding and
its service is gone). Neither stack names a tenant's key.

A tenant's usage plan is attached to the stage it is served on (its pool's, read from the
pool's outputs, or its own), so its limits are enforced on every request its key makes: the
plan's `apiRequestsPerSecond` becomes the steady rate, with bursts of twice that; `null`
(unlimited) leaves the account's limits in charge. Only an active tenant's key is enabled. A
suspended or offboarding tenant gets a rate and a daily quota of zero as well, so a key that
was copied somewhere still gets nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource

STAGE = "v1"
BACKEND_VARIABLE = "api_backend_url"


@dataclass(frozen=True)
class Stage:
    """An API stage, as references: its API's id and its name."""

    api_id: str
    name: str


@dataclass(frozen=True)
class Api:
    key_id: str
    usage_plan_id: str


def rest_api(b: StackBuilder) -> Stage:
    b.setting(
        BACKEND_VARIABLE,
        "Base URL the API forwards requests to (the application's load balancer), e.g. "
        "https://api.internal.example; set when applying (TF_VAR_api_backend_url).",
    )
    api = b.add(
        "api",
        "aws_api_gateway_rest_api",
        {
            "name": b.aws_name(),
            "description": f"{b.name}: the platform API; tenants' keys and usage plans limit it",
            "endpoint_configuration": [{"types": ["REGIONAL"]}],
            "api_key_source": "HEADER",
        },
        create_before_destroy=True,
    )
    proxy = b.add(
        "api_proxy",
        "aws_api_gateway_resource",
        {
            "rest_api_id": api.ref("id"),
            "parent_id": api.ref("root_resource_id"),
            "path_part": "{proxy+}",
        },
    )
    method = b.add(
        "api_method",
        "aws_api_gateway_method",
        {
            "rest_api_id": api.ref("id"),
            "resource_id": proxy.ref("id"),
            "http_method": "ANY",
            "authorization": "NONE",  # the application authenticates; the key identifies
            "api_key_required": True,
            "request_parameters": {"method.request.path.proxy": True},
        },
    )
    backend = b.add(
        "api_backend",
        "aws_api_gateway_integration",
        {
            "rest_api_id": api.ref("id"),
            "resource_id": proxy.ref("id"),
            "http_method": method.ref("http_method"),
            "type": "HTTP_PROXY",
            "integration_http_method": "ANY",
            "uri": f"${{var.{BACKEND_VARIABLE}}}/{{proxy}}",
            "request_parameters": {"integration.request.path.proxy": "method.request.path.proxy"},
        },
    )
    routes = _digest(proxy, method, backend)
    deployment = b.add(
        "api_deployment",
        "aws_api_gateway_deployment",
        {
            "rest_api_id": api.ref("id"),
            "description": "The routes of the platform API",
            # A new deployment when the routes or the backend change; the stage follows.
            "triggers": {"routes": routes, "backend": f"${{var.{BACKEND_VARIABLE}}}"},
        },
        depends_on=[method, backend],
        create_before_destroy=True,
    )
    stage = b.add(
        "api_stage",
        "aws_api_gateway_stage",
        {
            "rest_api_id": api.ref("id"),
            "deployment_id": deployment.ref("id"),
            "stage_name": STAGE,
            "description": "Every request needs a tenant's API key; its usage plan limits it",
            "xray_tracing_enabled": True,
        },
    )
    return Stage(api.ref("id"), stage.ref("stage_name"))


def _digest(*resources: Resource) -> str:
    """SHA-256 of the routes' definitions, as written here."""
    definition = [[r.address, r.attributes] for r in resources]
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()


def api_limits(b: StackBuilder, stage: Stage | None) -> Api:
    """The tenant's usage plan on `stage` (None: no API left to limit) and its key. The
    shape says which limits apply (`limited`, `unlimited`, `blocked`); the values say how
    many requests (`values.Limits`: the burst is `values.BURST_FACTOR` times the rate)."""
    tenant = b.values.need("tenant")
    attributes: dict[str, Any] = {
        "name": b.aws_name(),
        "description": tenant.usage_plan_description,
    }
    if stage is not None:
        attributes["api_stages"] = [{"api_id": stage.api_id, "stage": stage.name}]
    if b.shape.api == "blocked":
        attributes["throttle_settings"] = [{"rate_limit": 0, "burst_limit": 0}]
        attributes["quota_settings"] = [{"limit": 0, "period": "DAY"}]
    elif b.shape.api == "limited":
        limits = b.values.need("limits")
        attributes["throttle_settings"] = [
            {"rate_limit": limits.rate_limit, "burst_limit": limits.burst_limit}
        ]
    plan = b.add("usage_plan", "aws_api_gateway_usage_plan", attributes)
    key = b.add(
        "api_key",
        "aws_api_gateway_api_key",
        {
            "name": b.aws_name(),
            "description": f"Tenant {tenant.tenant}",
            "enabled": tenant.api_key_enabled,
        },
    )
    b.add(
        "usage_plan_key",
        "aws_api_gateway_usage_plan_key",
        {"key_id": key.ref("id"), "key_type": "API_KEY", "usage_plan_id": plan.ref("id")},
    )
    return Api(key.ref("id"), plan.ref("id"))
