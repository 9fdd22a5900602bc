"""`paybill billing reconcile`: every subscription listed from each provider is compared
with the spec and differences become the same proposals a webhook would have made (missed
webhooks heal); subscriptions that name no tenant of the spec, and live tenants that no
subscription bills, are reported."""

from __future__ import annotations

from compiler.billing.model import NOT_STARTED
from compiler.billing.sync import Context, apply_news
from compiler.billing.work import TenantWork


def reconcile(ctx: Context) -> dict[str, TenantWork]:
    works: dict[str, TenantWork] = {}
    billed: set[str] = set()
    seen = (ctx.now, f"reconcile-{ctx.now}")
    for name in sorted(ctx.providers):
        for news in ctx.providers[name].subscriptions():
            if news.status == NOT_STARTED:
                continue
            tenant = ctx.facts.billed_by.get((news.provider, news.id)) or news.tenant
            if tenant in ctx.facts.tenant_files:
                billed.add(tenant)
            apply_news(ctx, works, news, seen)
    for tenant in sorted(set(ctx.facts.tenant_files) - billed):
        state = ctx.facts.parsed.tenants[tenant].model.spec.state
        if state != "deleted":
            ctx.outcome.unbilled.append(f"{tenant} ({state}): no subscription names it")
    return works
