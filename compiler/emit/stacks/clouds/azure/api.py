"""API Management: the platform API, and each tenant's product, subscription and quotas.

A pool (and a silo tenant with a service) has an API Management instance with one API,
`platform`, that forwards every request to `api_backend_url` and requires a subscription
key. Each tenant has a product of its own that contains that API and a subscription to it:
`active` while the tenant is, `suspended` otherwise. A limited tenant's product has a
`rate-limit` policy of its rate per second; a suspended or offboarding tenant's answers
429 to everything, so a key copied somewhere still gets nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.parts.api import BACKEND_VARIABLE, STAGE

API_NAME = "platform"
SKU = "StandardV2_1"


@dataclass(frozen=True)
class Api:
    name: str  # the API Management instance's
    group: str  # its resource group's
    api_name: str


def api(b: StackBuilder, group: Resource) -> Api:
    backend = b.setting(
        BACKEND_VARIABLE,
        "Base URL the API forwards requests to (the application), e.g. "
        "https://api.internal.example; set when applying (TF_VAR_api_backend_url).",
    )
    publisher = b.setting(
        "api_publisher_email",
        "Who API Management writes to about the API (TF_VAR_api_publisher_email)",
    )
    service = b.add(
        "api",
        "azurerm_api_management",
        {
            "name": b.values.need("bucket").bucket_base_name,
            "resource_group_name": group.ref("name"),
            "location": b.region,
            "publisher_name": b.platform.name,
            "publisher_email": publisher,
            "sku_name": SKU,
            "min_api_version": "2021-08-01",
            "identity": [{"type": "SystemAssigned"}],
        },
    )
    platform = b.add(
        "platform_api",
        "azurerm_api_management_api",
        {
            "name": API_NAME,
            "api_management_name": service.ref("name"),
            "resource_group_name": group.ref("name"),
            "display_name": f"{b.platform.name} platform API",
            "revision": "1",
            "path": STAGE,
            "protocols": ["https"],
            "service_url": backend,
            "subscription_required": True,
        },
    )
    return Api(service.ref("name"), group.ref("name"), platform.ref("name"))


def limits(b: StackBuilder, on: Api) -> str:
    """The tenant's product on `on`, its subscription, and its policy; the subscription's
    id (its keys stay in Azure)."""
    tenant = b.values.need("tenant")
    where = {"api_management_name": on.name, "resource_group_name": on.group}
    product = b.add(
        "product",
        "azurerm_api_management_product",
        {
            **where,
            "product_id": b.name,
            "display_name": tenant.tenant,
            "description": tenant.usage_plan_description,
            "subscription_required": True,
            "approval_required": False,
            "subscriptions_limit": 1,
            "published": True,
        },
    )
    b.add(
        "product_api",
        "azurerm_api_management_product_api",
        {**where, "product_id": product.ref("product_id"), "api_name": on.api_name},
    )
    policy = _policy(b)
    if policy is not None:
        b.add(
            "product_policy",
            "azurerm_api_management_product_policy",
            {**where, "product_id": product.ref("product_id"), "xml_content": policy},
        )
    subscription = b.add(
        "subscription",
        "azurerm_api_management_subscription",
        {
            **where,
            "display_name": tenant.tenant,
            "product_id": product.ref("id"),
            "state": f'${{{_enabled(tenant.api_key_enabled)} ? "active" : "suspended"}}',
            "allow_tracing": False,
        },
    )
    return subscription.ref("id")


def _enabled(reference: str) -> str:
    return reference.removeprefix("${").removesuffix("}")


def _policy(b: StackBuilder) -> str | None:
    if b.shape.api == "blocked":
        inbound = '<return-response><set-status code="429" reason="Suspended" /></return-response>'
    elif b.shape.api == "limited":
        rate = b.values.need("limits").rate_limit
        inbound = f'<base /><rate-limit calls="{rate}" renewal-period="1" />'
    else:
        return None
    rest = "<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error>"
    return f"<policies><inbound>{inbound}</inbound>{rest}</policies>"
