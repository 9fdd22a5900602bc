"""The resolved model: what every emitter reads. Plain frozen data, no YAML, no pydantic.

References are names that are known to exist; defaults and overrides are applied; derived
facts (entitlements, least-privilege grants, role names) are computed once, in
`compiler.resolve`, and nowhere else. Collections are tuples sorted by name so that anything
built from them is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from compiler.homes import Confirmed, Home, KeptHome, default_stack
from compiler.resolve.roles import login_role

Isolation = Literal["silo", "pooled", "bridge"]
TenantState = Literal["pending", "active", "suspended", "offboarding", "deleted"]
SubscriptionStatus = Literal["trialing", "active", "past_due", "unpaid", "paused", "canceled"]
Effect = Literal["read", "write", "destructive", "external"]
Approval = Literal["none", "human"]
Operation = Literal["select", "insert", "update", "delete"]


@dataclass(frozen=True, slots=True)
class LocalBackend:
    path: str
    type: Literal["local"] = "local"


@dataclass(frozen=True, slots=True)
class S3Backend:
    bucket: str
    region: str
    lock_table: str
    key_prefix: str
    type: Literal["s3"] = "s3"


@dataclass(frozen=True, slots=True)
class S3CompatibleBackend:
    """S3-compatible object storage of another cloud (IBM COS, OCI's S3 API) at `endpoint`."""

    bucket: str
    endpoint: str
    region: str | None
    key_prefix: str
    type: Literal["s3"] = "s3"


@dataclass(frozen=True, slots=True)
class AzurermBackend:
    resource_group: str
    storage_account: str
    container: str
    key_prefix: str
    type: Literal["azurerm"] = "azurerm"


@dataclass(frozen=True, slots=True)
class GcsBackend:
    bucket: str
    key_prefix: str
    type: Literal["gcs"] = "gcs"


@dataclass(frozen=True, slots=True)
class OciBackend:
    bucket: str
    namespace: str
    key_prefix: str
    type: Literal["oci"] = "oci"


AnyBackend = (
    LocalBackend | S3Backend | S3CompatibleBackend | AzurermBackend | GcsBackend | OciBackend
)


@dataclass(frozen=True, slots=True)
class CloudAccount:
    """A cloud the platform uses: its regions, its account and where its stacks keep state."""

    cloud: str
    regions: tuple[str, ...]
    account: tuple[tuple[str, str], ...]  # ("subscriptionId", "..."), as written, sorted
    state_backend: AnyBackend
    default: bool  # the platform's `cloud`


@dataclass(frozen=True, slots=True)
class DatabaseSize:
    sku: str  # the SKU on `cloud`: an RDS instance class on aws, a sku_name on azure, ...
    storage_gb: int
    engine: str = "postgres"
    version: str = "15"
    multi_az: bool = True  # a standby in a second availability zone
    cloud: str = "aws"

    @property
    def instance_class(self) -> str:
        """The RDS instance class (the SKU of a database on AWS)."""
        return self.sku


@dataclass(frozen=True, slots=True)
class PlanDatabase:
    """A plan's dedicated database, sized for each cloud it can be sized for."""

    skus: tuple[tuple[str, str], ...]  # (cloud, sku), sorted by cloud
    storage_gb: int
    version: str = "15"
    multi_az: bool = True
    unsized: tuple[tuple[str, str], ...] = ()  # (cloud, why no SKU there)

    def on(self, cloud: str) -> DatabaseSize | None:
        """The database as a tenant on `cloud` gets it, or None when not sized there."""
        sku = dict(self.skus).get(cloud)
        if sku is None:
            return None
        return DatabaseSize(sku, self.storage_gb, "postgres", self.version, self.multi_az, cloud)


@dataclass(frozen=True, slots=True)
class ComputeSize:
    cpu: int
    memory_mb: int
    min_tasks: int
    max_tasks: int


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    region: str
    cidr: str
    database: DatabaseSize
    pooled_tenants: tuple[str, ...]  # non-deleted pooled tenants, sorted
    bridge_tenants: tuple[str, ...]  # non-deleted bridge tenants, sorted
    labels: tuple[tuple[str, str], ...] = ()
    confirm_destroy: tuple[str, ...] = ()  # stack resources that may be deleted or replaced
    cloud: str = "aws"

    @property
    def target(self) -> str:
        """The SQL target and stack name of this pool."""
        return f"pool-{self.name}"


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    cloud: str  # the default cloud of pools and silo tenants that name none
    regions: tuple[str, ...]  # the default cloud's
    state_backend: LocalBackend | S3Backend  # where AWS stacks keep state (local without AWS)
    database_name: str
    tenant_column: str
    clouds: tuple[CloudAccount, ...] = ()  # every cloud declared, by name

    def account(self, cloud: str) -> CloudAccount | None:
        return next((a for a in self.clouds if a.cloud == cloud), None)


@dataclass(frozen=True, slots=True)
class Limits:
    """Numeric entitlements; None means unlimited."""

    seats: int | None
    storage_gb: int | None
    api_requests_per_second: int | None
    agent_runs_per_day: int | None
    agent_steps_per_workflow: int | None = None  # ceiling on any one workflow's steps
    agent_rows_per_step: int | None = None  # ceiling on any one step's maxRowsPerStep


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    display_name: str
    isolation: Isolation
    limits: Limits
    features: tuple[str, ...]
    database: PlanDatabase | None
    compute: ComputeSize | None
    network_cidr: str | None
    trial_days: int
    grace_period_days: int
    clouds: tuple[str, ...] | None = None  # where its tenants may live; None: anywhere


@dataclass(frozen=True, slots=True)
class ColumnDefault:
    """A column's default: a literal of the column's type, as the text PostgreSQL reads it
    (rendered quoted, with a cast), or one expression of a short allow-list (`now()`)."""

    kind: Literal["literal", "expression"]
    value: str


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    primary_key: bool
    nullable: bool
    pii: bool
    default: ColumnDefault | None = None


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    schema: str
    tenant_scoped: bool
    columns: tuple[Column, ...]  # in the order written

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def primary_key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.primary_key)


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    effect: Effect
    approval: Approval


@dataclass(frozen=True, slots=True)
class Query:
    table: str
    operation: Operation
    columns: tuple[str, ...]
    where: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    after: tuple[str, ...]
    query: Query | None
    tool: str | None
    allow_pii: bool
    approval: Approval  # resolved: human for delete and destructive tools unless written

    @property
    def kind(self) -> Literal["query", "tool"]:
        return "query" if self.query is not None else "tool"


@dataclass(frozen=True, slots=True)
class Trigger:
    schedule: str | None
    event: str | None


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    description: str
    requires_feature: str | None
    trigger: Trigger
    max_steps: int
    timeout_seconds: int
    max_rows_per_step: int
    steps: tuple[Step, ...]  # topological order, ties broken by the order written


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    description: str
    workflows: tuple[str, ...]
    runs_per_day: int
    concurrent_runs: int


@dataclass(frozen=True, slots=True)
class TablePrivileges:
    """Least privilege on one table, derived from workflow steps only."""

    table: str
    select: tuple[str, ...] = ()  # columns read or used in `where`
    insert: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    delete: bool = False


@dataclass(frozen=True, slots=True)
class Denial:
    """Why an agent or workflow is absent from a tenant, for reviewers."""

    subject: str  # "agent/<name>" or "workflow/<name>"
    reason: str


@dataclass(frozen=True, slots=True)
class AgentAccess:
    """An agent that may act in a tenant, and exactly what it may do there."""

    agent: str
    role: str  # database role name, already cut to 63 bytes
    workflows: tuple[str, ...]  # allowed in this tenant, sorted
    denied_workflows: tuple[Denial, ...]  # assigned to the agent, but not allowed here
    runs_per_day: int  # least of the agent's limit and the tenant's agentRunsPerDay
    concurrent_runs: int
    privileges: tuple[TablePrivileges, ...]  # sorted by table


@dataclass(frozen=True, slots=True)
class Billed:
    """A billed tenant's subscription as the provider last reported it (see BillingProvider)."""

    provider: str
    id: str
    as_of: str | None
    event: str | None
    since: str | None


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    display_name: str
    labels: tuple[tuple[str, str], ...]
    plan: str
    isolation: Isolation
    region: str
    pool: str | None
    state: TenantState
    subscription: SubscriptionStatus
    limits: Limits  # after overrides
    features: tuple[str, ...]  # plan features plus overrides, sorted
    database: DatabaseSize | None  # dedicated database (silo, bridge)
    compute: ComputeSize | None  # dedicated compute (silo) or its service size (bridge)
    network_cidr: str | None  # dedicated network (silo)
    contacts: tuple[str, ...]
    app_role: str
    agents: tuple[AgentAccess, ...]  # sorted by agent name; empty unless active
    denied: tuple[Denial, ...]  # agents absent from this tenant and why
    confirm_data_deletion: bool
    migration: Confirmed | None = None  # a confirmed move to another home
    confirm_destroy: tuple[str, ...] = ()  # stack resources that may be deleted or replaced
    cloud: str = "aws"  # its own stack's (silo) or its pool's
    billed: Billed | None = None  # set when a BillingProvider bills the tenant
    stack_name: str | None = None  # the spec's `stack`, when it names one
    kept: KeptHome | None = None  # a migration's old home, kept beside this one

    @property
    def stack(self) -> str:
        return self.stack_name or default_stack(self.name)

    @property
    def login_role(self) -> str:
        """The deployment's login role for this tenant's application (not managed here)."""
        return login_role(self.name)

    @property
    def sql_target(self) -> str:
        """Where this tenant's rows live: its own database or its pool's."""
        return f"pool-{self.pool}" if self.isolation == "pooled" else self.stack

    @property
    def dedicated_database(self) -> bool:
        return self.isolation in ("silo", "bridge")

    @property
    def home(self) -> Home:
        """Where it lives; a change of home is a migration."""
        return Home(self.isolation, self.pool, self.cloud, self.region)


@dataclass(frozen=True, slots=True)
class Role:
    """A database role the compiler manages."""

    name: str
    kind: Literal["app", "agent"]
    tenant: str
    agent: str | None
    target: str


@dataclass(frozen=True)
class ResolvedSpec:
    platform: Platform
    pools: tuple[Pool, ...]
    plans: tuple[Plan, ...]
    tenants: tuple[Tenant, ...]  # every tenant in the spec, deleted ones included
    tables: tuple[Table, ...]
    tools: tuple[Tool, ...]
    agents: tuple[Agent, ...]
    workflows: tuple[Workflow, ...]
    spec_digest: str
    _index: dict[tuple[str, str], object] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kind, items in (
            ("pool", self.pools),
            ("plan", self.plans),
            ("tenant", self.tenants),
            ("table", self.tables),
            ("tool", self.tools),
            ("agent", self.agents),
            ("workflow", self.workflows),
        ):
            for item in items:
                self._index[(kind, item.name)] = item

    def pool(self, name: str) -> Pool:
        return self._index[("pool", name)]  # type: ignore[return-value]

    def plan(self, name: str) -> Plan:
        return self._index[("plan", name)]  # type: ignore[return-value]

    def tenant(self, name: str) -> Tenant:
        return self._index[("tenant", name)]  # type: ignore[return-value]

    def table(self, name: str) -> Table:
        return self._index[("table", name)]  # type: ignore[return-value]

    def tool(self, name: str) -> Tool:
        return self._index[("tool", name)]  # type: ignore[return-value]

    def agent(self, name: str) -> Agent:
        return self._index[("agent", name)]  # type: ignore[return-value]

    def workflow(self, name: str) -> Workflow:
        return self._index[("workflow", name)]  # type: ignore[return-value]

    @property
    def live_tenants(self) -> tuple[Tenant, ...]:
        """Tenants that still have infrastructure: every state but `deleted`."""
        return tuple(t for t in self.tenants if t.state != "deleted")

    @property
    def roles(self) -> tuple[Role, ...]:
        """Every database role the compiler manages, sorted by target then name."""
        out: list[Role] = []
        for tenant in self.live_tenants:
            target = tenant.sql_target
            out.append(Role(tenant.app_role, "app", tenant.name, None, target))
            out.extend(
                Role(access.role, "agent", tenant.name, access.agent, target)
                for access in tenant.agents
            )
        return tuple(sorted(out, key=lambda r: (r.target, r.name)))
