"""Apigee: the platform API's environment, and each tenant's API product, developer and
app (its key) with its quota.

Apigee, not API Gateway: the google provider has API products with a quota per consumer
(`google_apigee_api_product`), API Gateway exists only in google-beta and has no quota per
consumer (docs/clouds.md). The platform's Apigee organization (one per project, with its
instance) is set up once per platform, outside these stacks; a pool (and a silo tenant with
a service) has an environment of its own in it, where the platform API's proxy (`platform`)
is deployed with the application. Each tenant has a product that grants that proxy in that
environment, a developer, and an app holding the key: `approved` while the tenant is
active, `revoked` otherwise, so a key copied somewhere stops working. A limited tenant's
product has a quota of its rate per second, counted per minute; a blocked one's is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.clouds.gcp.data import project

PROXY = "platform"  # the platform API's proxy, deployed with the application


@dataclass(frozen=True)
class Api:
    environment: str  # the Apigee environment's name
    proxy: str


def org_id(b: StackBuilder) -> str:
    """The platform's Apigee organization: the project's own."""
    return f"organizations/{project(b).ref('project_id')}"


def api(b: StackBuilder, name: str) -> Api:
    """An Apigee environment of the stack's own; `name` fits Apigee's 32 characters."""
    environment = b.add(
        "api",
        "google_apigee_environment",
        {
            "org_id": org_id(b),
            "name": name,
            "display_name": name,
            "description": f"{b.platform.name} platform API",
            "deployment_type": "PROXY",
            "api_proxy_type": "PROGRAMMABLE",
        },
    )
    return Api(environment.ref("name"), PROXY)


def limits(b: StackBuilder, on: Api) -> str:
    """The tenant's product in `on`, its developer and app; the app's id (its key stays
    in Apigee)."""
    tenant = b.values.need("tenant")
    org = org_id(b)
    product = b.add(
        "product",
        "google_apigee_api_product",
        {
            "org_id": org,
            "name": b.name,
            "display_name": tenant.tenant,
            "description": tenant.usage_plan_description,
            "approval_type": "auto",
            "environments": [on.environment],
            "proxies": [on.proxy],
            **_quota(b),
        },
    )
    developer = b.add(
        "developer",
        "google_apigee_developer",
        {
            "org_id": org,
            "email": f"{b.name}@tenants.{b.platform.name}.invalid",
            "first_name": tenant.tenant,
            "last_name": "tenant",
            "user_name": b.name,
        },
    )
    enabled = tenant.api_key_enabled.removeprefix("${").removesuffix("}")
    app = b.add(
        "app",
        "google_apigee_developer_app",
        {
            "org_id": org,
            "name": b.name,
            "developer_email": developer.ref("email"),
            "callback_url": "",
            "api_products": [product.ref("name")],
            "status": f'${{{enabled} ? "approved" : "revoked"}}',
        },
    )
    return app.ref("app_id")


def _quota(b: StackBuilder) -> dict[str, str]:
    if b.shape.api == "blocked":
        return {"quota": "0", "quota_interval": "1", "quota_time_unit": "minute"}
    if b.shape.api == "limited":
        rate = b.values.need("limits").rate_limit.removeprefix("${").removesuffix("}")
        return {"quota": f"${{{rate} * 60}}", "quota_interval": "1", "quota_time_unit": "minute"}
    return {}
