"""Billing references: a BillingProvider's prices name Plans, a billed tenant's subscription
names a BillingProvider (with the provider's subscription id), and a scheduled downgrade
names a Plan. What the provider says is checked by `paybill billing`, not here."""

from __future__ import annotations

from compiler.resolve.context import Context


def check_billing(ctx: Context, plans: set[str]) -> None:
    providers = ctx.spec.billing_providers
    for provider in providers.values():
        for code, plan in sorted(provider.model.spec.plans.items()):
            if plan not in plans:
                ctx.unknown(provider, ("spec", "plans", code), "plan", plan, plans)
    for tenant in ctx.spec.tenants.values():
        doc = tenant
        sub = tenant.model.spec.subscription
        where = ("spec", "subscription")
        if sub.provider is not None and sub.provider not in providers:
            ctx.unknown(doc, (*where, "provider"), "billing provider", sub.provider, providers)
        if (sub.provider is None) != (sub.id is None):
            given, other = ("provider", "id") if sub.id is None else ("id", "provider")
            ctx.error(
                doc,
                (*where, given),
                f"a billed subscription names both its provider and its id; '{other}' is missing",
                f"add '{other}', or remove '{given}' if the tenant is not billed",
            )
        for field in ("as_of", "event", "since", "scheduled"):
            if getattr(sub, field) is not None and sub.provider is None:
                key = "asOf" if field == "as_of" else field
                ctx.error(
                    doc,
                    (*where, key),
                    f"'{key}' belongs to a billed subscription, but no provider is named",
                    "add 'provider' and 'id', or remove it",
                )
        if sub.scheduled is not None and sub.scheduled.plan not in plans:
            ctx.unknown(doc, (*where, "scheduled", "plan"), "plan", sub.scheduled.plan, plans)
