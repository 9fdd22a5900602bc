"""Tenants: plan, region and pool references, isolation rules, effective limits and features."""

from __future__ import annotations

from dataclasses import fields, replace

from compiler.dsl import Parsed, Tenant
from compiler.resolve import model
from compiler.resolve.context import Context
from compiler.resolve.lifecycle import check_static
from compiler.resolve.networks import tenant_network
from compiler.resolve.roles import app_role

_LIMIT_FIELDS = tuple(f.name for f in fields(model.Limits))


def effective_limits(plan: model.Limits, doc: Parsed[Tenant]) -> model.Limits:
    """The plan's limits with the tenant's overrides; an override of `null` means unlimited."""
    overrides = doc.model.spec.overrides.limits
    written = overrides.model_fields_set
    if not written:  # most tenants: their plan's limits as they are
        return plan
    changed = {f: getattr(overrides, f) for f in _LIMIT_FIELDS if f in written}
    return replace(plan, **changed) if changed else plan


def resolve_tenant(
    ctx: Context, doc: Parsed[Tenant], plans: dict[str, model.Plan]
) -> model.Tenant | None:
    """Check one tenant's references; None when its plan is unknown (reported)."""
    spec = doc.model.spec
    platform = ctx.spec.platform.model.spec
    plan = plans.get(spec.plan)
    check_static(ctx, doc, plan)
    if spec.region not in platform.regions:
        ctx.error(
            doc,
            ("spec", "region"),
            f"region '{spec.region}' is not one of the platform's regions",
            f"{ctx.spec.platform.source.label} spec.regions: {', '.join(platform.regions)}",
        )
    if plan is None:
        ctx.unknown(doc, ("spec", "plan"), "plan", spec.plan, plans)
        return None
    _check_pool(ctx, doc, plan)
    return model.Tenant(
        name=doc.name,
        display_name=spec.display_name,
        labels=tuple(sorted(doc.model.metadata.labels.items())),
        plan=plan.name,
        isolation=plan.isolation,
        region=spec.region,
        pool=spec.pool,
        state=spec.state,
        subscription=spec.subscription.status,
        limits=effective_limits(plan.limits, doc),
        features=tuple(sorted(set(plan.features) | set(spec.overrides.features))),
        database=plan.database if plan.isolation != "pooled" else None,
        compute=plan.compute,
        network_cidr=tenant_network(ctx, doc, plan),
        contacts=tuple(c.email for c in spec.contacts),
        app_role=app_role(doc.name),
        agents=(),
        denied=(),
        confirm_data_deletion=spec.confirm_data_deletion == doc.name,
        confirm_data_move=(
            None
            if spec.confirm_data_move is None
            else (spec.confirm_data_move.from_, spec.confirm_data_move.to)
        ),
        confirm_destroy=tuple(sorted(spec.confirm_destroy)),
        billed=_billed(doc),
    )


def _billed(doc: Parsed[Tenant]) -> model.Billed | None:
    sub = doc.model.spec.subscription
    if sub.provider is None or sub.id is None:
        return None
    return model.Billed(sub.provider, sub.id, sub.as_of, sub.event, sub.since)


def _check_pool(ctx: Context, doc: Parsed[Tenant], plan: model.Plan) -> None:
    spec = doc.model.spec
    pools = {p.name: p for p in ctx.spec.platform.model.spec.pools}
    if plan.isolation == "silo":
        if spec.pool is not None:
            ctx.error(
                doc,
                ("spec", "pool"),
                f"silo tenants have no pool (plan '{plan.name}' is silo)",
                "remove 'pool'; everything of a silo tenant is dedicated",
            )
        return
    if spec.pool is None:
        ctx.missing(
            doc,
            ("spec", "pool"),
            f"missing required field 'pool': plan '{plan.name}' is {plan.isolation}",
            f"pools in {spec.region}: "
            + (", ".join(n for n, p in sorted(pools.items()) if p.region == spec.region) or "none"),
        )
        return
    pool = pools.get(spec.pool)
    if pool is None:
        ctx.unknown(doc, ("spec", "pool"), "pool", spec.pool, pools)
    elif pool.region != spec.region:
        ctx.error(
            doc,
            ("spec", "pool"),
            f"pool '{pool.name}' is in {pool.region}, but the tenant is in {spec.region}",
            "a tenant's pool must be in the tenant's region",
        )
