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
changes that tenant's part of the target and nothing shared.

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

from compiler.emit.sql.runs import SETTINGS
from compiler.emit.sql.state import (
    OWNER_ROLE,
    SCHEMA_VERSION,
    TENANT_SCHEMA_VERSION,
    AgentRow,
    ColumnState,
    DefaultState,
    PolicyState,
    RoleState,
    SharedState,
    StepState,
    TableGrant,
    TableState,
    TargetState,
    TenantPart,
)
from compiler.emit.sql.steps import step_states, workflow_rows
from compiler.resolve import ResolvedSpec
from compiler.resolve.entitlements import privileges
from compiler.resolve.model import Table, Tenant, Workflow
from compiler.resolve.roles import role_name

TableKey = tuple[str, str]

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


def app_profile(target: str, access: str) -> str:
    return (
        role_name("paybill", target, "app")
        if access == "read-write"
        else role_name("paybill", target, "app", "readonly")
    )


def workflow_profile(target: str, workflow: str) -> str:
    return role_name("paybill", target, "workflow", workflow)


def steps_role(target: str) -> str:
    """What the step functions run as."""
    return role_name("paybill", target, "steps")


def approver_role(target: str) -> str:
    return role_name("paybill", target, "approver")


def with_profile(step: StepState, profile: str) -> StepState:
    """`dataclasses.replace(step, profile=profile)` at a fifth of the cost: called for every
    step of every target (90,000 times at 10,000 tenants)."""
    return StepState(
        step.workflow,
        step.step,
        step.function,
        profile,
        step.after,
        step.approval,
        step.operation,
        step.schema,
        step.table,
        step.columns,
        step.where,
        step.max_rows,
        step.tenant_column,
        step.max_steps,
    )


class Profiles:
    """What every target of a spec holds but for names — its tables and each profile's
    grants — worked out once per compile rather than once per target."""

    def __init__(self, spec: ResolvedSpec) -> None:
        self.spec = spec
        self.tenant_column = spec.platform.tenant_column
        self.tables = tuple(
            sorted((_table_state(t, self.tenant_column) for t in spec.tables), key=lambda t: t.key)
        )
        self.app = {access: _app_grants(spec, access) for access in ("read-write", "read-only")}
        self.steps = _workflow_grants(spec, spec.workflows)
        self.workflows = tuple(w.name for w in spec.workflows)
        self.rows = workflow_rows(spec)
        # Every target's steps but for the profile names, which `shared` fills in.
        self.step_template = step_states(spec, dict.fromkeys(self.workflows, ""))

    def shared(self, target: str) -> SharedState:
        profiles = [
            RoleState(app_profile(target, access), "grants", None, None, (), (), grants)
            for access, grants in self.app.items()
        ]
        names = {w: workflow_profile(target, w) for w in self.workflows}
        profiles.extend(
            RoleState(names[w], "grants", None, None, (w,), (), ()) for w in self.workflows
        )
        profiles.append(
            RoleState(steps_role(target), "steps", None, None, self.workflows, (), self.steps)
        )
        profiles.append(RoleState(approver_role(target), "approver", None, None, (), (), ()))
        return SharedState(
            schema_version=SCHEMA_VERSION,
            target=target,
            tenant_column=self.tenant_column,
            owner=OWNER_ROLE,
            tables=self.tables,
            profiles=tuple(sorted(profiles, key=lambda r: r.name)),
            settings=tuple(sorted(SETTINGS, key=lambda s: s.name)),
            workflows=self.rows,
            steps=tuple(with_profile(s, names[s.workflow]) for s in self.step_template),
        )


def build_shared(spec: ResolvedSpec, target: str) -> SharedState:
    """The owner, the tables and every profile of `target`; the same for every target of a
    spec but for the names."""
    return Profiles(spec).shared(target)


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
            (app_profile(target, APP_ACCESS[tenant.state]),),
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
            tuple(sorted(workflow_profile(target, w) for w in access.workflows)),
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
        policies=_policies(shared, tenant.name, roles, reach or tables_reached(shared)),
        state=tenant.state,
        agent_runs_per_day=tenant.limits.agent_runs_per_day,
        agents=tuple(
            AgentRow(a.role, a.agent, a.workflows, a.runs_per_day, a.concurrent_runs)
            for a in sorted(tenant.agents, key=lambda a: a.role)
        ),
    )


def build_targets(
    spec: ResolvedSpec, targets: Iterable[str]
) -> dict[str, tuple[SharedState, dict[str, TenantPart]]]:
    """Every target's shared state and tenant parts, grouping tenants in one pass."""
    profiles = Profiles(spec)
    out: dict[str, tuple[SharedState, dict[str, TenantPart]]] = {
        target: (profiles.shared(target), {}) for target in targets
    }
    reach = {target: tables_reached(shared) for target, (shared, _) in out.items()}
    for tenant in spec.live_tenants:
        if tenant.sql_target in out:
            shared, parts = out[tenant.sql_target]
            parts[tenant.name] = build_tenant(shared, tenant, reach[tenant.sql_target])
    return out


def build_target(spec: ResolvedSpec, target: str) -> TargetState:
    """A whole target, put together (what `paybill sql` converges a database to)."""
    shared = build_shared(spec, target)
    return TargetState.of(shared, (build_tenant(shared, t) for t in tenants_of(spec, target)))


def tables_reached(shared: SharedState) -> dict[str, frozenset[TableKey]]:
    """The tables each profile has any privilege on."""
    return {p.name: frozenset(g.key for g in p.grants) for p in shared.profiles}


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


def _app_grants(spec: ResolvedSpec, access: str) -> tuple[TableGrant, ...]:
    if access == "read-write":
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


def _policies(
    shared: SharedState,
    tenant: str,
    roles: list[RoleState],
    reach: Mapping[str, frozenset[TableKey]],
) -> tuple[PolicyState, ...]:
    """Per tenant-scoped table: one policy naming the tenant's roles that have any privilege
    on it (through their profiles), bound to the tenant's own id."""
    reached = {role.name: frozenset().union(*(reach[g] for g in role.member_of)) for role in roles}
    policy = role_name("tenant", tenant)
    out = []
    for table in shared.tables:
        if not table.row_security:
            continue
        names = tuple(sorted(role.name for role in roles if table.key in reached[role.name]))
        if names:
            out.append(PolicyState(table.schema, table.name, policy, tenant, names))
    return tuple(out)
