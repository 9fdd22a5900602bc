"""API Gateway: the platform API's gateway and deployment, and each tenant's usage plan
and subscriber (its key) with its rate limit.

A pool (and a silo tenant with a service) has a private gateway in its endpoints subnet
with one deployment under `/v1` that forwards every request to `api_backend_url` and
admits only tokens of a usage plan (`x-api-key`), access and execution logs on. Each tenant
has a usage plan entitled to that deployment (a limited one at its rate per second), and a
subscriber holding its token, which the Vault generates (never written here). A blocked
tenant (suspended, offboarding) keeps its usage plan but has no subscriber: its token is in
no usage plan, so the gateway refuses every request it makes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.clouds.oci.data import secret
from compiler.emit.stacks.parts.api import BACKEND_VARIABLE, STAGE

TOKEN_HEADER = "request.headers[x-api-key]"


@dataclass(frozen=True)
class Api:
    deployment_id: str


@dataclass(frozen=True)
class Vault:
    """Where a tenant's token is generated: its own vault and key, or its pool's."""

    vault_id: str
    key_id: str


def api(b: StackBuilder, compartment: str, subnet_id: str, group: str) -> Api:
    backend = b.setting(
        BACKEND_VARIABLE,
        "Base URL the API forwards requests to (the application), e.g. "
        "https://api.internal.example; set when applying (TF_VAR_api_backend_url).",
    )
    gateway = b.add(
        "api",
        "oci_apigateway_gateway",
        {
            "compartment_id": compartment,
            "display_name": b.aws_name(),
            "endpoint_type": "PRIVATE",
            "subnet_id": subnet_id,
            "network_security_group_ids": [group],
        },
    )
    deployment = b.add(
        "api_deployment",
        "oci_apigateway_deployment",
        {
            "compartment_id": compartment,
            "gateway_id": gateway.ref("id"),
            "display_name": "platform",
            "path_prefix": f"/{STAGE}",
            "specification": [
                {
                    "request_policies": [{"usage_plans": [{"token_locations": [TOKEN_HEADER]}]}],
                    "logging_policies": [
                        {
                            "access_log": [{"is_enabled": True}],
                            "execution_log": [{"is_enabled": True, "log_level": "INFO"}],
                        }
                    ],
                    "routes": [
                        {
                            "path": "/{path*}",
                            "methods": ["ANY"],
                            "backend": [{"type": "HTTP_BACKEND", "url": backend}],
                        }
                    ],
                }
            ],
        },
    )
    return Api(deployment.ref("id"))


def limits(b: StackBuilder, compartment: str, on: Api, vault_of: Callable[[], Vault]) -> str:
    """The tenant's usage plan on `on` and, unless it is blocked, its subscriber; the usage
    plan's id."""
    tenant = b.values.need("tenant")
    entitlement: dict[str, object] = {
        "name": "platform",
        "description": tenant.usage_plan_description,
        "targets": [{"deployment_id": on.deployment_id}],
    }
    if b.shape.api == "limited":
        rate = b.values.need("limits").rate_limit
        entitlement["rate_limit"] = [{"unit": "SECOND", "value": rate}]
    plan = b.add(
        "usage_plan",
        "oci_apigateway_usage_plan",
        {"compartment_id": compartment, "display_name": b.name, "entitlements": [entitlement]},
    )
    if b.shape.api == "blocked":
        return plan.ref("id")
    vault = vault_of()
    token = secret(
        b, "api_token", b.aws_name("api-token"), compartment, vault.vault_id, vault.key_id
    )
    bundle = b.data("api_token_bundle", "oci_secrets_secretbundle", {"secret_id": token.ref("id")})
    content = bundle.expression("secret_bundle_content[0].content")
    b.add(
        "subscriber",
        "oci_apigateway_subscriber",
        {
            "compartment_id": compartment,
            "display_name": tenant.tenant,
            "usage_plans": [plan.ref("id")],
            "clients": [{"name": tenant.tenant, "token": f"${{base64decode({content})}}"}],
        },
    )
    return plan.ref("id")
