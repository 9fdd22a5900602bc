"""Resolved model -> the desired state of each SQL target. The security model lives here.

What a tenant's roles get, by tenant state (agents exist only in active tenants; that
gating is done in `compiler.resolve.entitlements`):

=============  ==================================================  =====================
state          app_<tenant>                                        agent_<tenant>_<agent>
=============  ==================================================  =====================
pending        read-write on its own rows (onboarding loads data)  none
active         read-write on its own rows                          from workflow steps
suspended      read-only on its own rows (users can still see      none (roles dropped)
               and export, nothing changes)
offboarding    read-only on its own rows (for the data export)     none (roles dropped)
deleted        no roles; rows stay until deleted by a reviewed     none
               data-deletion change
=============  ==================================================  =====================

"Read-write" is SELECT, INSERT, UPDATE, DELETE on every tenant-scoped table. Tables that
are not tenant-scoped hold reference data shared by every tenant: every role may only read
them.

The privileges sit on profiles that every target has, whichever tenants it holds: the
application read-write and read-only, and one per workflow. A tenant's roles are members of
the profiles their state and entitlements call for, so adding, changing or removing a tenant
changes that tenant's part of the target and nothing shared. The profiles and everything
else but their role names are the same in every target: they are built once per compile
(`build_runtime`), and each target only names its roles (`runtime.target_part`).

Agents touch no table: a workflow's profile holds EXECUTE on the functions of its steps,
which run as the steps role (`paybill_<target>_steps`). That role holds what the steps of
every workflow need, column by column, and its one policy per table binds it to the rows of
the calling agent's tenant (see runs.py and functions.py).

Every tenant-scoped table has row-level security enabled and forced in every target, pooled
or dedicated, so that the model is the same everywhere and a dedicated database refuses
rows of another tenant id too. Its primary key starts with the tenant column, in every
target: two tenants' rows never compete for a key (in a pool, a key taken by another tenant
would otherwise answer "duplicate key" and say that the row exists), the index every policy
filters on is the key's, and a tenant moving between a pool and its own database keeps its
keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compiler.emit.sql.policies import TableKey, tables_reached, tenant_policies
from compiler.emit.sql.runs import SETTINGS
from compiler.emit.sql.runtime import (
    APP,
    APP_READONLY,
    APPROVER,
    RUNTIME_VERSION,
    STEPS,
    ProfileState,
    RuntimeState,
    TargetPart,
    assemble,
    profile_role,
    target_part,
    workflow_key,
)
from compiler.emit.sql.state import (
    OWNER_ROLE,
    TENANT_SCHEMA_VERSION,
    AgentRow,
    ColumnState,
    DefaultState,
    RoleState,
    SharedState,
    TableGrant,
    TableState,
    TargetState,
    TenantLimits,
    TenantPart,
)
from compiler.emit.sql.steps import step_states, workflow_rows
from compiler.resolve import ResolvedSpec
from compiler.resolve.entitlements import privileges
from compiler.resolve.model import Table, Tenant, Workflow

# The application profile of a live tenant, by tenant state (see the table above).
APP_ACCESS = {
    "pending": APP,
    "active": APP,
    "suspended": APP_READONLY,
    "offboarding": APP_READONLY,
}


def tenants_of(spec: ResolvedSpec, target: str) -> tuple[Tenant, ...]:
    """The live tenants whose rows live in `target`."""
    return tuple(t for t in spec.live_tenants if t.sql_target == target)


def build_runtime(spec: ResolvedSpec) -> RuntimeState:
    """What every target of `spec` holds, but for role names: its tables, each profile's
    grants (by key), the session settings, the workflows and their steps. Built once per
    compile; it never names a target or a tenant."""
    tenant_column = spec.platform.tenant_column
    workflows = tuple(w.name for w in spec.workflows)
    profiles = [
        ProfileState(APP, "grants", (), _app_grants(spec, read_write=True)),
        ProfileState(APP_READONLY, "grants", (), _app_grants(spec, read_write=False)),
        *(ProfileState(workflow_key(w), "grants", (w,), ()) for w in workflows),
        ProfileState(STEPS, "steps", workflows, _workflow_grants(spec, spec.workflows)),
        ProfileState(APPROVER, "approver", (), ()),
    ]
    return RuntimeState(
        schema_version=RUNTIME_VERSION,
        tenant_column=tenant_column,
        owner=OWNER_ROLE,
        tables=tuple(
            sorted((_table_state(t, tenant_column) for t in spec.tables), key=lambda t: t.key)
        ),
        profiles=tuple(sorted(profiles, key=lambda p: p.key)),
        settings=tuple(sorted(SETTINGS, key=lambda s: s.name)),
        workflows=workflow_rows(spec),
        steps=step_states(spec, {w: workflow_key(w) for w in workflows}),
    )


def build_shared(spec: ResolvedSpec, target: str) -> SharedState:
    """The owner, the tables and every profile of `target`: the runtime with the target's
    role names."""
    runtime = build_runtime(spec)
    return assemble(runtime, target_part(runtime, target))


def build_tenant(
    shared: SharedState, tenant: Tenant, reach: Mapping[str, frozenset[TableKey]] | None = None
) -> TenantPart:
    """`tenant`'s roles in `shared.target`, their memberships and its policies. `reach` is
    `tables_reached(shared)`, when the caller has it already."""
    target = shared.target
    roles = [
        RoleState(
            tenant.app_role,
            "app",
            tenant.name,
            None,
            (),
            (profile_role(target, APP_ACCESS[tenant.state]),),
            (),
        )
    ]
    roles.extend(
        RoleState(
            access.role,
            "agent",
            tenant.name,
            access.agent,
            access.workflows,
            tuple(sorted(profile_role(target, workflow_key(w)) for w in access.workflows)),
            (),
        )
        for access in tenant.agents
    )
    roles.sort(key=lambda r: r.name)
    return TenantPart(
        schema_version=TENANT_SCHEMA_VERSION,
        target=target,
        tenant=tenant.name,
        roles=tuple(roles),
        policies=tenant_policies(shared, tenant.name, roles, reach),
        state=tenant.state,
        agent_runs_per_day=tenant.limits.agent_runs_per_day,
        agents=tuple(
            AgentRow(a.role, a.agent, a.workflows, a.runs_per_day, a.concurrent_runs)
            for a in sorted(tenant.agents, key=lambda a: a.role)
        ),
        app_role=tenant.app_role,
        plan=tenant.plan,
        limits=TenantLimits(
            seats=tenant.limits.seats,
            storage_gb=tenant.limits.storage_gb,
            api_requests_per_second=tenant.limits.api_requests_per_second,
            agent_steps_per_workflow=tenant.limits.agent_steps_per_workflow,
            agent_rows_per_step=tenant.limits.agent_rows_per_step,
        ),
        features=tuple(sorted(tenant.features)),
    )


@dataclass(frozen=True)
class Target:
    """One target of a compile: its own part, its whole shared state, its tenants' parts."""

    part: TargetPart
    shared: SharedState
    tenants: dict[str, TenantPart]


def build_targets(
    spec: ResolvedSpec, targets: Iterable[str]
) -> tuple[RuntimeState, dict[str, Target]]:
    """The runtime, and every target's parts, grouping tenants in one pass."""
    runtime = build_runtime(spec)
    out: dict[str, Target] = {}
    for name in targets:
        part = target_part(runtime, name)
        out[name] = Target(part, assemble(runtime, part), {})
    reach = {name: tables_reached(t.shared) for name, t in out.items()}
    for tenant in spec.live_tenants:
        found = out.get(tenant.sql_target)
        if found is not None:
            found.tenants[tenant.name] = build_tenant(
                found.shared, tenant, reach[tenant.sql_target]
            )
    return runtime, out


def build_target(spec: ResolvedSpec, target: str) -> TargetState:
    """A whole target, put together (what `paybill sql` converges a database to)."""
    shared = build_shared(spec, target)
    return TargetState.of(shared, (build_tenant(shared, t) for t in tenants_of(spec, target)))


def _table_state(table: Table, tenant_column: str) -> TableState:
    key = table.primary_key
    if table.tenant_scoped:
        key = (tenant_column, *(c for c in key if c != tenant_column))
    return TableState(
        schema=table.schema,
        name=table.name,
        tenant_scoped=table.tenant_scoped,
        row_security=table.tenant_scoped,
        columns=tuple(
            ColumnState(
                c.name,
                c.type,
                c.nullable,
                c.primary_key,
                DefaultState(c.default.kind, c.default.value) if c.default else None,
            )
            for c in table.columns
        ),
        key_columns=key,
    )


def _app_grants(spec: ResolvedSpec, *, read_write: bool) -> tuple[TableGrant, ...]:
    if read_write:
        grants = [
            TableGrant(
                t.schema,
                t.name,
                ("SELECT", "INSERT", "UPDATE", "DELETE") if t.tenant_scoped else ("SELECT",),
            )
            for t in spec.tables
        ]
    else:
        grants = [TableGrant(t.schema, t.name, ("SELECT",)) for t in spec.tables]
    return _sorted_grants(grants)


def _workflow_grants(spec: ResolvedSpec, workflows: Iterable[Workflow]) -> tuple[TableGrant, ...]:
    """What the steps of `workflows` need: the steps role's privileges."""
    return _sorted_grants(
        TableGrant(
            schema=spec.table(p.table).schema,
            table=p.table,
            table_privileges=("DELETE",) if p.delete else (),
            select=p.select,
            insert=p.insert,
            update=p.update,
        )
        for p in privileges(workflows)
    )


def _sorted_grants(grants: Iterable[TableGrant]) -> tuple[TableGrant, ...]:
    return tuple(sorted(grants, key=lambda g: g.key))
