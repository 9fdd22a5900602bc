"""Stage 3: parsed documents -> one resolved model, or every problem found on the way.

Each pass is a small function in its own module; this module only says in which order they
run. All passes of a run report into one collector, so a spec with a broken plan reference
and a pii mistake in a workflow gets both messages at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from compiler.dsl import ParsedSpec
from compiler.errors import SpecError
from compiler.homes import Home, default_stack
from compiler.resolve import model
from compiler.resolve.baseline import Baseline
from compiler.resolve.billing import check_billing
from compiler.resolve.clouds import check_drivers, check_missing_parts
from compiler.resolve.context import Context
from compiler.resolve.entitlements import grant_tenant_access
from compiler.resolve.lifecycle import check_transitions
from compiler.resolve.migrations import check_stack_names, keep_old_homes
from compiler.resolve.networks import check_networks
from compiler.resolve.plan_limits import check_plan_limits
from compiler.resolve.plans import resolve_plans
from compiler.resolve.platform import resolve_platform
from compiler.resolve.roles import agent_role
from compiler.resolve.tables import (
    PreviousTable,
    check_added_columns,
    resolve_tables,
    tables_of,
)
from compiler.resolve.tenants import resolve_tenant
from compiler.resolve.workflows import resolve_tools, resolve_workflows

__all__ = ["Baseline", "PreviousTable", "ResolvedSpec", "baseline_of", "resolve", "tables_of"]

ResolvedSpec = model.ResolvedSpec


def resolve(
    spec: ParsedSpec,
    baseline: Mapping[str, Baseline] | None = None,
    base_name: str = "the base",
    *,
    previous_tables: Mapping[tuple[str, str], PreviousTable] | None = None,
    drivers: frozenset[str] | None = None,
) -> model.ResolvedSpec:
    """Resolve references, apply defaults and overrides, derive entitlements and grants.

    With a `baseline` (tenants as they were on the base branch or in the last compiled
    manifest), lifecycle transitions and data deletion are checked too. With
    `previous_tables` (the tables of the last compiled SQL state, by schema and name),
    columns that could not be added to a table holding rows are reported. With `drivers`
    (the clouds `compile` can build stacks for), a pool or tenant on any other cloud is
    reported: `validate` accepts it, `compile` does not build it yet.
    """
    ctx = Context(spec)
    platform, pool_databases = resolve_platform(ctx)
    plans = {p.name: p for p in resolve_plans(ctx)}
    tables = {t.name: t for t in resolve_tables(ctx)}
    if previous_tables:
        check_added_columns(ctx, tables, previous_tables)
    tools = {t.name: t for t in resolve_tools(ctx)}
    features = {f for p in plans.values() for f in p.features}
    features |= {f for t in spec.tenants.values() for f in t.model.spec.overrides.features}
    workflows = {w.name: w for w in resolve_workflows(ctx, tables, tools, features)}
    agents = _resolve_agents(ctx, workflows)
    tenants = [
        tenant
        for doc in spec.tenants.values()
        if (tenant := resolve_tenant(ctx, doc, plans)) is not None
    ]
    check_billing(ctx, set(spec.plans))
    if baseline is not None:
        check_transitions(ctx, spec.tenants, {t.name: t for t in tenants}, baseline, base_name)
        tenants = keep_old_homes(ctx, spec.tenants, tenants, baseline, base_name)
    check_stack_names(ctx, spec.tenants, tenants)
    _check_role_names(ctx, [t.name for t in tenants if t.state != "deleted"], agents)
    check_networks(ctx, tenants)
    check_plan_limits(ctx, tenants, agents, workflows)
    check_missing_parts(ctx, tenants)
    if drivers is not None:
        check_drivers(ctx, tenants, drivers)
    ctx.report_unchecked()
    ctx.problems.raise_if_any()
    memo: dict[tuple[str, ...], tuple[model.TablePrivileges, ...]] = {}
    # Deleted tenants too: they get no agents, and `denied` says why, like any inactive one.
    granted = sorted(
        (
            grant_tenant_access(t, agents.values(), workflows, plans[t.plan].limits, memo)
            for t in tenants
        ),
        key=lambda t: t.name,
    )
    return model.ResolvedSpec(
        platform=platform,
        pools=_pools(spec, granted, pool_databases),
        plans=tuple(plans[n] for n in sorted(plans)),
        tenants=tuple(granted),
        tables=tuple(tables[n] for n in sorted(tables)),
        tools=tuple(tools[n] for n in sorted(tools)),
        agents=tuple(agents[n] for n in sorted(agents)),
        workflows=tuple(workflows[n] for n in sorted(workflows)),
        spec_digest=spec.digest,
    )


def baseline_of(spec: ParsedSpec) -> dict[str, Baseline]:
    """Tenants of a base revision, as the transition rules compare against them.

    A base with errors of its own is refused: comparing with the half of it that parsed
    would call its broken tenants new or removed.
    """
    if spec.problems:
        raise SpecError(list(spec.problems))
    out = {}
    platform = spec.platform.model.spec
    pool_clouds = {p.name: p.cloud or platform.cloud for p in platform.pools}
    for name, doc in spec.tenants.items():
        tenant = doc.model.spec
        plan = spec.plans.get(tenant.plan)
        isolation = plan.model.spec.isolation if plan else ""
        target = None
        if tenant.state != "deleted" and isolation:
            stack = tenant.stack or default_stack(name)
            target = f"pool-{tenant.pool}" if isolation == "pooled" else stack
        shared = isolation in ("pooled", "bridge") and tenant.pool in pool_clouds
        cloud = pool_clouds[tenant.pool or ""] if shared else tenant.cloud or platform.cloud
        out[name] = Baseline(
            state=tenant.state,
            subscription=tenant.subscription.status,
            isolation=isolation,
            plan=tenant.plan,
            location=doc.source.at("metadata", "name"),
            sql_target=target,
            home=Home(isolation, tenant.pool, cloud, tenant.region) if isolation else None,
            stack=tenant.stack or default_stack(name),
        )
    return out


def _resolve_agents(ctx: Context, workflows: dict[str, model.Workflow]) -> dict[str, model.Agent]:
    known = set(ctx.spec.workflows)
    out = {}
    for name, doc in sorted(ctx.spec.agents.items()):
        spec = doc.model.spec
        for index, workflow in enumerate(spec.workflows):
            if workflow not in known:
                ctx.unknown(doc, ("spec", "workflows", index), "workflow", workflow, known)
        out[name] = model.Agent(
            name=name,
            description=spec.description,
            workflows=tuple(w for w in spec.workflows if w in workflows),
            runs_per_day=spec.limits.runs_per_day,
            concurrent_runs=spec.limits.concurrent_runs,
        )
    return out


def _check_role_names(ctx: Context, tenants: list[str], agents: Mapping[str, object]) -> None:
    """`-` becomes `_` in role names, so tenant `a-b` + agent `c` and `a` + `b-c` collide."""
    owners: dict[str, tuple[str, str]] = {}
    for tenant in sorted(tenants):
        for agent in sorted(agents):
            role = agent_role(tenant, agent)
            other = owners.setdefault(role, (tenant, agent))
            if other != (tenant, agent):
                ctx.error(
                    ctx.spec.tenants[tenant],
                    ("metadata", "name"),
                    f"database role '{role}' would serve both tenant '{other[0]}' with agent "
                    f"'{other[1]}' and tenant '{tenant}' with agent '{agent}'",
                    "'-' becomes '_' in role names; rename the tenant or the agent",
                )


def _pools(
    spec: ParsedSpec, tenants: list[model.Tenant], databases: Mapping[str, model.DatabaseSize]
) -> tuple[model.Pool, ...]:
    out = []
    for pool in sorted(spec.platform.model.spec.pools, key=lambda p: p.name):
        members = [t for t in tenants if t.pool == pool.name and t.state != "deleted"]
        database = databases[pool.name]
        out.append(
            model.Pool(
                name=pool.name,
                region=pool.region,
                cidr=pool.network.cidr,
                database=database,
                pooled_tenants=tuple(t.name for t in members if t.isolation == "pooled"),
                bridge_tenants=tuple(t.name for t in members if t.isolation == "bridge"),
                confirm_destroy=tuple(sorted(pool.confirm_destroy)),
                cloud=database.cloud,
            )
        )
    return tuple(out)
