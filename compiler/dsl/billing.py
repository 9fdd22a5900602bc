"""BillingProvider: where billing news comes from (Stripe, Lago or Orb) and how it maps to the
spec — which environment variables hold its secrets, where a subscription names its tenant,
and which provider price or plan code is which Plan. Read by `paybill billing`, never by the
compile: a spec with providers compiles exactly as one without."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from compiler.dsl.common import (
    ENV_VAR_PATTERN,
    PRICE_CODE_PATTERN,
    TENANT_KEY_PATTERN,
    Document,
    Model,
    Name,
)

ProviderType = Literal["stripe", "lago", "orb"]
EnvVar = Annotated[str, Field(pattern=ENV_VAR_PATTERN)]
PriceCode = Annotated[str, Field(pattern=PRICE_CODE_PATTERN, max_length=200)]


class Secrets(Model):
    """Names of environment variables, never values: a spec is committed, secrets are not."""

    webhook: EnvVar
    api: EnvVar


class BillingProviderSpec(Model):
    type: ProviderType
    secrets: Secrets
    # A dotted path into the subscription as the provider's API returns it.
    tenant_key: Annotated[str, Field(pattern=TENANT_KEY_PATTERN, max_length=200)]
    plans: dict[PriceCode, Name]


class BillingProvider(Document):
    kind: Literal["BillingProvider"]
    spec: BillingProviderSpec
