"""Tenants: plan, region and pool references, isolation rules, effective limits and features."""

from __future__ import annotations

from dataclasses import fields, replace

from compiler.dsl import Parsed, Tenant
from compiler.homes import Confirmed
from compiler.resolve import migrations, model
from compiler.resolve.clouds import declared, region_problem, undeclared
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
    plan = plans.get(spec.plan)
    check_static(ctx, doc, plan)
    cloud = tenant_cloud(ctx, doc, plan)
    if plan is None:
        ctx.unknown(doc, ("spec", "plan"), "plan", spec.plan, plans)
        return None
    _check_pool(ctx, doc, plan)
    database = _database(ctx, doc, plan, cloud)
    tenant = model.Tenant(
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
        database=database,
        compute=plan.compute,
        network_cidr=tenant_network(ctx, doc, plan),
        contacts=tuple(c.email for c in spec.contacts),
        app_role=app_role(doc.name),
        agents=(),
        denied=(),
        confirm_data_deletion=spec.confirm_data_deletion == doc.name,
        migration=(
            None
            if (move := spec.migration) is None
            else Confirmed(move.from_, move.to, move.retire_old)
        ),
        confirm_destroy=tuple(sorted(spec.confirm_destroy)),
        cloud=cloud,
        billed=_billed(doc),
        stack_name=spec.stack,
    )
    migrations.check_block(ctx, doc, tenant)
    return tenant


def _billed(doc: Parsed[Tenant]) -> model.Billed | None:
    sub = doc.model.spec.subscription
    if sub.provider is None or sub.id is None:
        return None
    return model.Billed(sub.provider, sub.id, sub.as_of, sub.event, sub.since)


def _pool_clouds(ctx: Context) -> dict[str, str]:
    platform = ctx.spec.platform.model.spec
    return {p.name: p.cloud or platform.cloud for p in platform.pools}


def tenant_cloud(ctx: Context, doc: Parsed[Tenant], plan: model.Plan | None) -> str:
    """The tenant's cloud, with its region and plan checked against it."""
    spec = doc.model.spec
    platform = ctx.spec.platform.model.spec
    pool_cloud = _pool_clouds(ctx).get(spec.pool or "")
    shared = plan is not None and plan.isolation != "silo" and pool_cloud is not None
    cloud = pool_cloud if shared and pool_cloud else spec.cloud or platform.cloud
    if shared and spec.cloud is not None and spec.cloud != pool_cloud:
        ctx.error(
            doc,
            ("spec", "cloud"),
            f"{plan.isolation if plan else ''} tenants live in their pool's cloud: pool "
            f"'{spec.pool}' is on {pool_cloud}",
            f"remove 'cloud', or choose a pool on {spec.cloud}",
        )
    where = ("spec", "cloud") if spec.cloud is not None else ("spec", "region")
    clouds = declared(ctx)
    if cloud not in clouds:
        undeclared(ctx, doc, where, cloud, f"tenant '{doc.name}'")
        return cloud
    _check_region(ctx, doc, cloud, clouds[cloud])
    if plan is not None and plan.clouds is not None and cloud not in plan.clouds:
        ctx.error(
            doc,
            ("spec", "plan"),
            f"plan '{plan.name}' is for tenants on {', '.join(plan.clouds)}; this tenant is "
            f"on {cloud}",
            f"choose a plan for {cloud}, or add {cloud} to the plan's clouds",
        )
    return cloud


def _check_region(ctx: Context, doc: Parsed[Tenant], cloud: str, regions: tuple[str, ...]) -> None:
    region = doc.model.spec.region
    if region in regions:
        return
    problem = region_problem(cloud, region)
    if problem is None:
        label = ctx.spec.platform.source.label
        default = cloud == ctx.spec.platform.model.spec.cloud
        field = "spec.regions" if default else f"spec.clouds.{cloud}.regions"
        which = "regions" if default else f"{cloud} regions"
        problem = (
            f"region '{region}' is not one of the platform's {which}",
            f"{label} {field}: {', '.join(regions)}",
        )
    ctx.error(doc, ("spec", "region"), *problem)


def _database(
    ctx: Context, doc: Parsed[Tenant], plan: model.Plan, cloud: str
) -> model.DatabaseSize | None:
    """The tenant's dedicated database on its cloud (silo, bridge), sized by its plan."""
    if plan.isolation == "pooled" or plan.database is None:
        return None
    if plan.clouds is not None and cloud not in plan.clouds:
        return None  # reported: the plan is not for this cloud
    database = plan.database.on(cloud)
    if database is None and cloud in declared(ctx):
        why = dict(plan.database.unsized).get(cloud, f"the plan is not for {cloud}")
        ctx.error(
            doc,
            ("spec", "plan"),
            f"plan '{plan.name}' sizes no database on {cloud}, where this tenant is: {why}",
        )
    return database


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
