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

Every tenant-scoped table has row-level security enabled and forced in every target, pooled
or dedicated, so that the model is the same everywhere and a dedicated database refuses
rows of another tenant id too.
"""

from __future__ import annotations

from collections.abc import Iterable

from compiler.emit.sql.state import (
    OWNER_ROLE,
    SCHEMA_VERSION,
    ColumnState,
    PolicyState,
    RoleState,
    TableGrant,
    TableState,
    TargetState,
)
from compiler.resolve import ResolvedSpec
from compiler.resolve.model import AgentAccess, Table, Tenant
from compiler.resolve.roles import role_name

# What the application role of a live tenant may do, by tenant state (see the table above).
APP_ACCESS = {
    "pending": "read-write",
    "active": "read-write",
    "suspended": "read-only",
    "offboarding": "read-only",
}


def tenants_of(spec: ResolvedSpec, target: str) -> tuple[Tenant, ...]:
    """The live tenants whose rows live in `target`."""
    return tuple(t for t in spec.live_tenants if t.sql_target == target)


def build_targets(spec: ResolvedSpec, targets: Iterable[str]) -> dict[str, TargetState]:
    """The desired state of each target, grouping tenants by target in one pass."""
    members: dict[str, list[Tenant]] = {target: [] for target in targets}
    for tenant in spec.live_tenants:
        if tenant.sql_target in members:
            members[tenant.sql_target].append(tenant)
    return {target: build_target(spec, target, tuple(ts)) for target, ts in members.items()}


def build_target(
    spec: ResolvedSpec, target: str, tenants: tuple[Tenant, ...] | None = None
) -> TargetState:
    tables = tuple(sorted((_table_state(t) for t in spec.tables), key=lambda t: (t.schema, t.name)))
    schema_of = {t.name: t.schema for t in spec.tables}
    profiles: dict[str, RoleState] = {}
    members: list[RoleState] = []
    for tenant in tenants_of(spec, target) if tenants is None else tenants:
        app = _app_profile(spec, target, tenant)
        profiles.setdefault(app.name, app)
        members.append(RoleState(tenant.app_role, "app", tenant.name, None, (), (app.name,), ()))
        for access in tenant.agents:
            agent = _agent_profile(spec, target, access, schema_of)
            profiles.setdefault(agent.name, agent)
            members.append(
                RoleState(
                    access.role,
                    "agent",
                    tenant.name,
                    access.agent,
                    access.workflows,
                    (agent.name,),
                    (),
                )
            )
    roles = (
        *sorted(profiles.values(), key=lambda r: r.name),
        *sorted(members, key=lambda r: r.name),
    )
    return TargetState(
        schema_version=SCHEMA_VERSION,
        target=target,
        tenant_column=spec.platform.tenant_column,
        owner=OWNER_ROLE,
        tables=tables,
        roles=roles,
        policies=_policies(tables, roles, profiles),
    )


def _table_state(table: Table) -> TableState:
    return TableState(
        schema=table.schema,
        name=table.name,
        tenant_scoped=table.tenant_scoped,
        row_security=table.tenant_scoped,
        columns=tuple(
            ColumnState(c.name, c.type, c.nullable, c.primary_key) for c in table.columns
        ),
    )


def _app_profile(spec: ResolvedSpec, target: str, tenant: Tenant) -> RoleState:
    if APP_ACCESS[tenant.state] == "read-write":
        name = role_name("paybill", target, "app")
        grants = [
            TableGrant(
                t.schema,
                t.name,
                ("SELECT", "INSERT", "UPDATE", "DELETE") if t.tenant_scoped else ("SELECT",),
            )
            for t in spec.tables
        ]
    else:
        name = role_name("paybill", target, "app", "readonly")
        grants = [TableGrant(t.schema, t.name, ("SELECT",)) for t in spec.tables]
    return RoleState(name, "grants", None, None, (), (), _sorted_grants(grants))


def _agent_profile(
    spec: ResolvedSpec, target: str, access: AgentAccess, schema_of: dict[str, str]
) -> RoleState:
    """One profile per agent and set of workflows it may run; named after the agent alone
    when it may run all of its workflows, which is the usual case."""
    full = tuple(sorted(spec.agent(access.agent).workflows))
    parts = ("paybill", target, "agent", access.agent)
    name = role_name(*parts) if access.workflows == full else role_name(*parts, *access.workflows)
    grants = tuple(
        TableGrant(
            schema=schema_of[p.table],
            table=p.table,
            table_privileges=("DELETE",) if p.delete else (),
            select=p.select,
            insert=p.insert,
            update=p.update,
        )
        for p in access.privileges
    )
    return RoleState(
        name, "grants", None, access.agent, access.workflows, (), _sorted_grants(grants)
    )


def _sorted_grants(grants: Iterable[TableGrant]) -> tuple[TableGrant, ...]:
    return tuple(sorted(grants, key=lambda g: g.key))


def _policies(
    tables: tuple[TableState, ...],
    roles: tuple[RoleState, ...],
    profiles: dict[str, RoleState],
) -> tuple[PolicyState, ...]:
    """Per tenant-scoped table and tenant: one policy naming that tenant's roles that have
    any privilege on the table, bound to the tenant's own id."""
    out: list[PolicyState] = []
    for table in tables:
        if not table.row_security:
            continue
        by_tenant: dict[str, list[str]] = {}
        for role in roles:
            if role.tenant is None:
                continue
            touches = any(
                g.key == table.key for group in role.member_of for g in profiles[group].grants
            )
            if touches:
                by_tenant.setdefault(role.tenant, []).append(role.name)
        out.extend(
            PolicyState(
                table.schema, table.name, role_name("tenant", tenant), tenant, tuple(sorted(names))
            )
            for tenant, names in sorted(by_tenant.items())
        )
    return tuple(out)
