"""Billing references: a provider's prices name plans; a billed subscription names its
provider and id together; a scheduled downgrade names a plan; the bookkeeping fields belong to
a billed subscription."""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

from pathlib import Path

from tests.fixtures.specs import errors, expect


def test_billing_references(workdir: Path) -> None:
    assert errors(workdir, "resolve/billing") == expect(
        "spec/billing.yaml:9:39: BillingProvider/stripe spec.plans.price_gold: unknown plan 'gold' (known: basic, enterprise, pro, trial)",
        "spec/tenants/alpha.yaml:12:15: Tenant/alpha spec.subscription.provider: unknown billing provider 'strype' (did you mean 'stripe'?)",
        "spec/tenants/alpha.yaml:14:23: Tenant/alpha spec.subscription.scheduled.plan: unknown plan 'platinum' (known: basic, enterprise, pro, trial)",
        "spec/tenants/gamma.yaml:13:9: Tenant/gamma spec.subscription.id: a billed subscription names both its provider and its id; 'provider' is missing (add 'provider', or remove 'id' if the tenant is not billed)",
        "spec/tenants/gamma.yaml:14:11: Tenant/gamma spec.subscription.asOf: 'asOf' belongs to a billed subscription, but no provider is named (add 'provider' and 'id', or remove it)",
    )
