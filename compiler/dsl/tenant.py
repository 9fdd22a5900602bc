"""Tenant: a customer of the platform — its plan, region, lifecycle and subscription."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from compiler.dsl.common import (
    BILLING_ID_PATTERN,
    EMAIL_PATTERN,
    UNIQUE,
    UNIQUE_ITEMS,
    UTC_TIME_PATTERN,
    Cloud,
    Document,
    Feature,
    Model,
    Name,
    Region,
    Text,
)
from compiler.dsl.confirm import Addresses, Migration
from compiler.dsl.plan import LimitOverrides
from compiler.dsl.platform import Network
from compiler.homes import STACK_NAME_PATTERN

TenantState = Literal["pending", "active", "suspended", "offboarding", "deleted"]
SubscriptionStatus = Literal["trialing", "active", "past_due", "unpaid", "paused", "canceled"]
BillingId = Annotated[str, Field(pattern=BILLING_ID_PATTERN)]
UtcTime = Annotated[str, Field(pattern=UTC_TIME_PATTERN)]
StackName = Annotated[str, Field(pattern=STACK_NAME_PATTERN)]


class Scheduled(Model):
    """A downgrade the customer has paid past: applied by the billing sync once `at` is due."""

    plan: Name
    at: UtcTime


class Subscription(Model):
    status: SubscriptionStatus
    # Billed tenants (written by `paybill billing sync`, or by hand): the BillingProvider, the
    # provider's subscription id, the provider's time of the newest state applied (older news
    # never overwrites it), that news' event id, when the subscription entered its status
    # (the first failed payment for past_due), and a downgrade due at period end.
    provider: Name | None = None
    id: BillingId | None = None
    as_of: UtcTime | None = None
    event: BillingId | None = None
    since: UtcTime | None = None
    scheduled: Scheduled | None = None


class Overrides(Model):
    limits: LimitOverrides = Field(default_factory=LimitOverrides)
    # Features granted to this tenant on top of its plan's (e.g. a negotiated add-on).
    features: Annotated[list[Feature], UNIQUE, Field(json_schema_extra=UNIQUE_ITEMS)] = Field(
        default_factory=list
    )


class Contact(Model):
    email: Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=254)]


class TenantSpec(Model):
    display_name: Text
    plan: Name
    # Silo tenants: the cloud of their own stack (default: the platform's); pooled and
    # bridge tenants live in their pool's cloud and may only repeat it.
    cloud: Cloud | None = None
    region: Region
    pool: Name | None = None
    state: TenantState
    subscription: Subscription
    overrides: Overrides = Field(default_factory=Overrides)
    contacts: list[Contact] = Field(default_factory=list)
    # Silo only: the tenant's own network range instead of the one allocated to it.
    network: Network | None = None
    # Deleting data must be confirmed in review: write the tenant's own name here.
    confirm_data_deletion: Name | None = None
    # Moving the tenant to another home (isolation, pool, cloud or region), confirmed in
    # review; `retireOld: true` is the second confirmation, which retires the old home.
    migration: Migration | None = None
    # Resources of the tenant's stack that may be deleted or replaced, confirmed in review.
    confirm_destroy: Addresses = Field(default_factory=list)
    # The name of the tenant's stack (default `tenant-<name>`), which also names its
    # database of its own and every cloud resource in it. A move out of a home with a
    # database of its own needs a new one: the old home stays beside the new until retired.
    stack: StackName | None = None


class Tenant(Document):
    kind: Literal["Tenant"]
    spec: TenantSpec
