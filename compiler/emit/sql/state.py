"""The desired state of one SQL target: what its `.sql` files create and `paybill sql`
converges to.

A target (`pool-<pool>`, `tenant-<tenant>`) is written in parts, so that each part belongs
to one graph node and two changes to different tenants touch different files:

* `SharedState`: the owner, the tables, the privilege profiles, the session limits, and the
  workflows and steps that agents run through database functions. It never names a
  tenant. It is the same in every target of a spec but for the profiles' role names, so it
  is written in two parts (`runtime.py`): the runtime every target shares
  (`sql/shared/state.json`, node `runtime:sql`) and the target's role names
  (`sql/<target>/state.json`, node `sql:<target>`). An earlier paybill wrote it whole in
  the target's `state.json`; that is still read (`shared_from_json`).
* `TenantPart` (`tenants/<tenant>.json`, node `tenant:<tenant>`): one tenant's roles, the
  profiles they are members of, the policies that bind them to the tenant's rows (derived
  from the roles when read, `policies.py`), and the tenant's and its agents' rows in
  paybill's own tables (state, run limits).

`TargetState` is the whole target, put together from its parts: what the lints check and
what `paybill sql apply|drift` compare with the live catalogs. The parts are built from the
resolved model (`build.py`) and rendered into SQL (`render.py`) from the same values, so the
files and the JSON cannot disagree.

Roles, in six kinds:

* `owner` — owns every schema and table; NOLOGIN; no other managed role is a member of it.
* `grants` — a per-target privilege profile: the application read-write, the application
  read-only, and one per workflow (what its steps need). Table and column privileges are
  granted to these, never to tenant roles: PostgreSQL stores a table's or a column's
  privileges in one catalog row without out-of-line storage, which holds only a few hundred
  grantees, while a pool holds thousands of tenant roles. A profile has no row-level policy
  of its own, so on a tenant-scoped table it sees no rows by itself. The set of profiles
  depends on the spec's workflows only, never on which tenants a target holds.
* `steps` — the role the step functions run as (SECURITY DEFINER): it holds what the steps
  of every workflow need on the tables, and one shared policy per tenant-scoped table binds
  it to the rows of the tenant whose agent is calling (`runs.py`). NOLOGIN; no one is a
  member of it.
* `approver` — may record a person's approval of a step of a run; held by the deployment's
  approval service, never by an agent.
* `app` / `agent` — the tenant's roles (`app_<tenant>`, `agent_<tenant>_<agent>`). An app
  role is a member of one application profile and has row-level policies bound to its own
  tenant id as a literal. An agent role is a member of the profiles of the workflows it may
  run in its tenant; those hold EXECUTE on the workflows' step functions and no privilege
  on any table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import ConfigDict, TypeAdapter
from pydantic.alias_generators import to_camel

from compiler.acl import names

# The versions written; the previous ones are still read (what they lack has a default), so
# that a base compiled by an older paybill can be compared with.
SchemaVersion = Literal["paybill.dev/sql-state/v3", "paybill.dev/sql-state/v2"]
SCHEMA_VERSION: Final[SchemaVersion] = "paybill.dev/sql-state/v3"
# v3 leaves the policies out: they are derived from the roles (`policies.py`).
TenantSchemaVersion = Literal[
    "paybill.dev/sql-tenant/v4",
    "paybill.dev/sql-tenant/v3",
    "paybill.dev/sql-tenant/v2",
    "paybill.dev/sql-tenant/v1",
]
TENANT_SCHEMA_VERSION: Final[TenantSchemaVersion] = "paybill.dev/sql-tenant/v4"
# v4 adds the tenant's plan, limits and features (its entitlements, in paybill.tenants).
STATE_FILE = "state.json"
TENANTS_FOLDER = "tenants"
OWNER_ROLE = "paybill_owner"
INTERNAL_SCHEMA = "paybill"  # paybill's own tables: no tenant, agent or profile role uses it
API_SCHEMA = names.API_SCHEMA  # the functions agents (and the approver) call
CALLER_POLICY = "paybill_steps"  # the steps role's policy on each tenant-scoped table
OWNER_COMMENT = "paybill: owner of the managed schemas and tables"

Privilege = Literal["SELECT", "INSERT", "UPDATE", "DELETE"]
RoleKind = Literal["grants", "steps", "approver", "app", "agent"]
Operation = Literal["select", "insert", "update", "delete", "tool"]
PRIVILEGES: tuple[Privilege, ...] = ("SELECT", "INSERT", "UPDATE", "DELETE")

CONFIG = ConfigDict(
    alias_generator=to_camel,
    extra="forbid",
    strict=True,
    validate_by_alias=True,
    validate_by_name=False,
    serialize_by_alias=True,
)


def role_comment(target: str, tenant: str | None = None) -> str:
    """What marks a role as managed by `target` (COMMENT ON ROLE): a role carrying it that
    the spec no longer lists is retired by `sql apply`; any other role is left alone.
    A tenant's roles also name the tenant, so that the tenant's own file can retire the
    roles it no longer has without knowing what other tenants hold."""
    marker = f"paybill: managed by sql target {target}"
    return marker if tenant is None else f"{marker}{TENANT_MARK}{tenant}"


TENANT_MARK = " for tenant "


def tenant_file(tenant: str, suffix: str) -> str:
    """A tenant part's file, relative to the target's folder."""
    return f"{TENANTS_FOLDER}/{tenant}{suffix}"


@dataclass(frozen=True, slots=True)
class DefaultState:
    """A column default: a literal of the column's type (rendered quoted, with a cast), or
    an expression of the allow-list in `statements.DEFAULT_EXPRESSIONS`."""

    __pydantic_config__ = CONFIG

    kind: Literal["literal", "expression"]
    value: str


@dataclass(frozen=True, slots=True)
class ColumnState:
    __pydantic_config__ = CONFIG

    name: str
    type: str
    nullable: bool
    primary_key: bool  # written as part of the key in the spec
    default: DefaultState | None = None


@dataclass(frozen=True, slots=True)
class IndexState:
    __pydantic_config__ = CONFIG

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableState:
    __pydantic_config__ = CONFIG

    schema: str
    name: str
    tenant_scoped: bool
    row_security: bool  # enabled and forced
    columns: tuple[ColumnState, ...]
    # The primary key as created: a tenant-scoped table's starts with the tenant column.
    key_columns: tuple[str, ...] = ()
    indexes: tuple[IndexState, ...] = ()  # paybill's own tables only

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def primary_key(self) -> tuple[str, ...]:
        return self.key_columns or tuple(c.name for c in self.columns if c.primary_key)


@dataclass(frozen=True, slots=True)
class TableGrant:
    """Privileges of one role on one table: whole-table ones, and column lists."""

    __pydantic_config__ = CONFIG

    schema: str
    table: str
    table_privileges: tuple[Privilege, ...] = ()
    select: tuple[str, ...] = ()
    insert: tuple[str, ...] = ()
    update: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.table)

    def atoms(self, role: str) -> Iterator[Atom]:
        for privilege in self.table_privileges:
            yield Atom(role, self.schema, self.table, privilege, None)
        for privilege, columns in (
            ("SELECT", self.select),
            ("INSERT", self.insert),
            ("UPDATE", self.update),
        ):
            for column in columns:
                yield Atom(role, self.schema, self.table, privilege, column)


@dataclass(frozen=True, slots=True)
class RoleState:
    __pydantic_config__ = CONFIG

    name: str
    kind: RoleKind
    tenant: str | None  # app and agent roles
    agent: str | None  # agent roles
    workflows: tuple[str, ...]  # agent roles and workflow profiles: what the privileges serve
    member_of: tuple[str, ...]  # app roles: one profile; agent roles: one per workflow
    grants: tuple[TableGrant, ...]  # profiles only


@dataclass(frozen=True, slots=True)
class PolicyState:
    """`CREATE POLICY name ON table FOR ALL TO roles USING (col = 'tenant') WITH CHECK (...)`."""

    __pydantic_config__ = CONFIG

    schema: str
    table: str
    name: str
    tenant: str  # "" for a policy bound to the calling agent's tenant
    roles: tuple[str, ...]
    # "tenant": the tenant column equals `tenant`, a literal. "caller": it equals the tenant
    # of the agent calling a step function (the steps role's one policy per table).
    bound: Literal["tenant", "caller"] = "tenant"


@dataclass(frozen=True, order=True, slots=True)
class Atom:
    """One privilege: a whole-table one when `column` is None."""

    role: str
    schema: str
    table: str
    privilege: str
    column: str | None


@dataclass(frozen=True, slots=True)
class StepColumn:
    __pydantic_config__ = CONFIG

    name: str
    type: str  # the column's type as the spec writes it
    nullable: bool
    # Part of the table's primary key (the tenant column aside): a where-value of it names
    # a row, which must be one of the calling tenant's (functions.py refuses the call if not).
    key: bool = False


@dataclass(frozen=True, slots=True)
class StepState:
    """One step of a workflow, as the function agents call for it (`steps.py`)."""

    __pydantic_config__ = CONFIG

    workflow: str
    step: str
    function: str  # its name in the API schema
    profile: str  # the workflow's profile: it holds EXECUTE on the function
    after: tuple[str, ...]
    approval: bool  # runs only with a person's approval for the run and step
    operation: Operation
    schema: str = ""  # the table of a query step
    table: str = ""
    columns: tuple[StepColumn, ...] = ()  # read, set, or inserted
    where: tuple[StepColumn, ...] = ()  # equality on each, one parameter (an array) each
    max_rows: int = 0
    tenant_column: str = ""  # an insert into a tenant-scoped table fills it from the caller
    max_steps: int = 0  # the workflow's: how many step calls one run may make
    key_size: int = 0  # columns of the table's primary key, the tenant column aside


@dataclass(frozen=True, slots=True)
class WorkflowRow:
    """A workflow's row in paybill's own table: its run limits."""

    __pydantic_config__ = CONFIG

    workflow: str
    max_steps: int
    timeout_seconds: int
    max_rows_per_step: int
    steps: tuple[str, ...]
    approval_steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Setting:
    """A default for every session of the target's database (`ALTER DATABASE ... SET`)."""

    __pydantic_config__ = CONFIG

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class AgentRow:
    """An agent's row in paybill's own table: whom it acts for and its run limits."""

    __pydantic_config__ = CONFIG

    role: str
    agent: str
    workflows: tuple[str, ...]
    runs_per_day: int
    concurrent_runs: int


@dataclass(frozen=True, slots=True)
class SharedState:
    """What a target holds for every tenant: `state.json`. Never names a tenant."""

    __pydantic_config__ = CONFIG

    schema_version: SchemaVersion
    target: str
    tenant_column: str
    owner: str
    tables: tuple[TableState, ...]  # sorted by (schema, name)
    # The privilege profiles (kind "grants"), the steps role and the approver; by name.
    profiles: tuple[RoleState, ...]
    settings: tuple[Setting, ...] = ()  # sorted by name
    workflows: tuple[WorkflowRow, ...] = ()  # sorted by name
    steps: tuple[StepState, ...] = ()  # sorted by (workflow, step)

    @property
    def schemas(self) -> tuple[str, ...]:
        return tuple(sorted({t.schema for t in self.tables}))


@dataclass(frozen=True, slots=True)
class TenantLimits:
    """A tenant's limits after its overrides (None: unlimited), but agentRunsPerDay, which
    `TenantPart.agent_runs_per_day` holds (start_run counts it)."""

    __pydantic_config__ = CONFIG

    seats: int | None = None
    storage_gb: int | None = None
    api_requests_per_second: int | None = None
    agent_steps_per_workflow: int | None = None
    agent_rows_per_step: int | None = None


NO_LIMITS = TenantLimits()


@dataclass(frozen=True, slots=True)
class TenantPart:
    """One tenant's roles and policies in a target: `tenants/<tenant>.json`."""

    __pydantic_config__ = CONFIG

    schema_version: TenantSchemaVersion
    target: str
    tenant: str
    roles: tuple[RoleState, ...]  # kinds "app" and "agent", sorted by name
    # Sorted by (schema, table). Not written since v3: derived from the roles when read.
    policies: tuple[PolicyState, ...] = ()
    state: str = ""  # the tenant's lifecycle state: agents act only in active tenants
    agent_runs_per_day: int | None = None  # every agent of the tenant together; None: no cap
    agents: tuple[AgentRow, ...] = ()  # sorted by role
    # Its entitlements (since v4): what the application reads with paybill_api.entitlements().
    app_role: str = ""
    plan: str = ""
    limits: TenantLimits = NO_LIMITS
    features: tuple[str, ...] = ()  # sorted


@dataclass(frozen=True, slots=True)
class TenantRow:
    """A tenant's row in paybill's own table."""

    tenant: str
    state: str
    agent_runs_per_day: int | None
    app_role: str = ""
    plan: str = ""
    limits: TenantLimits = NO_LIMITS
    features: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TargetState:
    """A whole target: its shared state and every tenant part, put together."""

    target: str
    tenant_column: str
    owner: str
    tables: tuple[TableState, ...]  # sorted by (schema, name)
    roles: tuple[RoleState, ...]  # profiles first, then tenant roles; each sorted by name
    policies: tuple[PolicyState, ...]  # sorted by (schema, table, name)
    settings: tuple[Setting, ...] = ()
    workflows: tuple[WorkflowRow, ...] = ()
    steps: tuple[StepState, ...] = ()
    tenants: tuple[TenantRow, ...] = ()  # sorted by name
    agents: tuple[tuple[str, AgentRow], ...] = ()  # (tenant, row), sorted by role

    @classmethod
    def of(cls, shared: SharedState, parts: Iterable[TenantPart]) -> TargetState:
        parts = sorted(parts, key=lambda p: p.tenant)
        return cls(
            target=shared.target,
            tenant_column=shared.tenant_column,
            owner=shared.owner,
            tables=shared.tables,
            roles=(
                *shared.profiles,
                *sorted((r for p in parts for r in p.roles), key=lambda r: r.name),
            ),
            policies=tuple(
                sorted(
                    (*caller_policies(shared), *(q for p in parts for q in p.policies)),
                    key=lambda q: (q.schema, q.table, q.name),
                )
            ),
            settings=shared.settings,
            workflows=shared.workflows,
            steps=shared.steps,
            tenants=tuple(
                TenantRow(
                    p.tenant,
                    p.state,
                    p.agent_runs_per_day,
                    p.app_role,
                    p.plan,
                    p.limits,
                    p.features,
                )
                for p in parts
            ),
            agents=tuple(
                sorted(((p.tenant, a) for p in parts for a in p.agents), key=lambda x: x[1].role)
            ),
        )

    def role_of(self, kind: RoleKind) -> RoleState | None:
        """The target's one role of `kind` ("steps", "approver"), if it has one."""
        return next((r for r in self.roles if r.kind == kind), None)

    @property
    def comment(self) -> str:
        """The marker of the target's own roles (owner excepted): the profiles."""
        return role_comment(self.target)

    def comment_of(self, role: RoleState) -> str:
        return role_comment(self.target, role.tenant)

    @property
    def schemas(self) -> tuple[str, ...]:
        return tuple(sorted({t.schema for t in self.tables}))

    def role(self, name: str) -> RoleState:
        return next(r for r in self.roles if r.name == name)

    def atoms(self) -> set[Atom]:
        return {
            atom for role in self.roles for grant in role.grants for atom in grant.atoms(role.name)
        }

    def usage(self) -> set[tuple[str, str]]:
        """(role, schema): USAGE on every schema where the role has a table privilege."""
        return {(role.name, grant.schema) for role in self.roles for grant in role.grants}

    def memberships(self) -> set[tuple[str, str]]:
        """(group, member) pairs."""
        return {(group, role.name) for role in self.roles for group in role.member_of}

    def effective_grants(self) -> dict[str, tuple[TableGrant, ...]]:
        """Per role: its own grants plus those of the managed roles it is a member of."""
        by_name = {r.name: r for r in self.roles}
        return {
            role.name: (
                *role.grants,
                *(g for group in role.member_of if group in by_name for g in by_name[group].grants),
            )
            for role in self.roles
        }


def caller_policies(shared: SharedState) -> tuple[PolicyState, ...]:
    """One policy per tenant-scoped table the steps role can use, binding it to the rows of
    the tenant whose agent calls the step function (it names no tenant)."""
    steps = next((r for r in shared.profiles if r.kind == "steps"), None)
    if steps is None:
        return ()
    reached = {g.key for g in steps.grants}
    return tuple(
        PolicyState(t.schema, t.name, CALLER_POLICY, "", (steps.name,), "caller")
        for t in shared.tables
        if t.row_security and t.key in reached
    )


_SHARED = TypeAdapter(SharedState)
_TENANT = TypeAdapter(TenantPart)


def to_json(state: SharedState | TenantPart) -> object:
    if isinstance(state, SharedState):
        return _SHARED.dump_python(state, mode="json")
    return _TENANT.dump_python(state, mode="json", exclude={"policies"})


def shared_from_json(text: bytes | str) -> SharedState:
    """Parse a `state.json`; raises pydantic.ValidationError when it is not one."""
    return _SHARED.validate_json(text)


def tenant_from_json(text: bytes | str) -> TenantPart:
    """Parse a `tenants/<tenant>.json`; raises pydantic.ValidationError when it is not one.
    Its policies are `policies.with_policies`'s to add (they need the target's state)."""
    return _TENANT.validate_json(text)
