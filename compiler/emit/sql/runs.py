"""paybill's own objects in every target: where runs, limits and approvals live.

Two schemas, both owned by the owner role:

* `paybill` — tables no tenant, agent or profile role may use at all (no USAGE on the
  schema, so they cannot even name them): `apply_lock` (what `paybill sql apply` locks),
  `tenants` and `agents` (one row per tenant and agent, written by the tenant's own file:
  state and run limits), `workflows` (limits per workflow), `runs` (every run, its step
  count and the steps done) and `approvals` (who approved which step of which run, until
  when). The functions that read and write them run as the owner.
* `paybill_api` — the functions agents call: `start_run`, `finish_run`, `approval`, one per
  workflow step, and `approve` for the approver role. Holds no table.

The step functions run as the steps role (`paybill_<target>_steps`), which holds what the
steps need on the tables and is bound by one policy per tenant-scoped table to the tenant
of the agent calling (`state.caller_policies`): `"paybill"."caller_role"()` reads the agent
from the session's role (`SET ROLE`, which PostgreSQL allows only to members of the role)
or, without one, from the agent role granted to the login, and the policy looks its tenant
up in `paybill.agents` (which the steps role may read for that). Nothing a session can SET
widens it.
"""

from __future__ import annotations

from compiler.emit.sql.state import (
    API_SCHEMA,
    INTERNAL_SCHEMA,
    ColumnState,
    DefaultState,
    IndexState,
    RoleState,
    Setting,
    TableState,
)

# Defaults for every session of a managed database (`ALTER DATABASE ... SET`). PostgreSQL
# applies role settings only when a role logs in, and the roles paybill manages are NOLOGIN
# (a deployment grants them to its own login roles), so the database is where these reach
# every session. A session may still SET them itself: they bound what careless clients do
# (a transaction left open holding locks), not what a hostile one does (docs/security.md).
SETTINGS = (
    Setting("idle_in_transaction_session_timeout", "60s"),
    Setting("lock_timeout", "10s"),
)
APPLY_LOCK = "apply_lock"


def _column(
    name: str, type_: str, nullable: bool = False, default: str | None = None
) -> ColumnState:
    """A column of paybill's own tables; `default` a literal of its type or, ending in
    `()`, an allowed expression (statements.DEFAULT_EXPRESSIONS). A NOT NULL column added to
    a table that has rows needs one."""
    if default is None:
        return ColumnState(name, type_, nullable, False)
    if default.endswith("()"):
        return ColumnState(name, type_, nullable, False, DefaultState("expression", default))
    return ColumnState(name, type_, nullable, False, DefaultState("literal", default))


def _table(
    name: str,
    columns: tuple[ColumnState, ...],
    key: tuple[str, ...],
    indexes: tuple[IndexState, ...] = (),
) -> TableState:
    return TableState(INTERNAL_SCHEMA, name, False, False, columns, key, indexes)


INTERNAL_TABLES: tuple[TableState, ...] = (
    _table("agents", (
        _column("role", "text"),
        _column("tenant", "text"),
        _column("agent", "text"),
        _column("workflows", "text[]"),
        _column("runs_per_day", "integer"),
        _column("concurrent_runs", "integer"),
    ), ("role",)),
    _table(APPLY_LOCK, (_column("target", "text"),), ("target",)),
    # One row per approval: it serves one call of the step in the run, with the arguments
    # whose digest it holds, until it expires; `used_at` says when it served. (Approvals
    # kept before they were bound to arguments get the digest '', which no call has.)
    _table("approvals", (
        _column("run", "uuid"),
        _column("step", "text"),
        _column("approved_by", "text"),
        _column("granted_by", "text"),
        _column("approved_at", "timestamptz"),
        _column("expires_at", "timestamptz"),
        _column("id", "uuid", default="gen_random_uuid()"),
        _column("digest", "text", default=""),
        _column("used_at", "timestamptz", nullable=True),
    ), ("run", "step", "id")),
    _table("runs", (
        _column("id", "uuid"),
        _column("tenant", "text"),
        _column("role", "text"),
        _column("agent", "text"),
        _column("workflow", "text"),
        _column("started_at", "timestamptz"),
        _column("deadline", "timestamptz"),
        _column("finished_at", "timestamptz", nullable=True),
        _column("status", "text"),
        _column("steps", "integer"),
        _column("done", "text[]"),
    ), ("id",), (
        IndexState("runs_role_started_at", ("role", "started_at")),
        IndexState("runs_role_deadline", ("role", "deadline")),
        IndexState("runs_tenant_started_at", ("tenant", "started_at")),
    )),
    # A tenant's state, its entitlements (its plan's limits and features, overrides applied;
    # NULL: unlimited) and `runs_started`, which start_run counts up: the write that makes
    # two starts in one tenant wait for each other, or the later one fail to serialize.
    _table("tenants", (
        _column("tenant", "text"),
        _column("state", "text"),
        _column("runs_per_day", "integer", nullable=True),
        _column("app_role", "text", default=""),
        _column("plan", "text", default=""),
        _column("seats", "integer", nullable=True),
        _column("storage_gb", "integer", nullable=True),
        _column("api_requests_per_second", "integer", nullable=True),
        _column("agent_steps_per_workflow", "integer", nullable=True),
        _column("agent_rows_per_step", "integer", nullable=True),
        _column("features", "text[]", default="{}"),
        _column("runs_started", "bigint", default="0"),
    ), ("tenant",)),
    _table("workflows", (
        _column("workflow", "text"),
        _column("max_steps", "integer"),
        _column("timeout_seconds", "integer"),
        _column("max_rows_per_step", "integer"),
        _column("steps", "text[]"),
        _column("approval_steps", "text[]"),
    ), ("workflow",)),
)  # fmt: skip
INTERNAL_SCHEMAS = (INTERNAL_SCHEMA, API_SCHEMA)


STEPS_READ = ("agents", "approvals", "runs", "tenants", "workflows")
STEPS_UPDATE = {"runs": ("done", "steps"), "approvals": ("used_at",)}


def table_privileges(
    roles: tuple[RoleState, ...],
) -> set[tuple[str, str, str, str, str | None]]:
    """(role, schema, table, privilege, column or None) on paybill's tables: only the steps
    role uses them. A step function checks and counts its step in its run in one statement
    (reading the agent, its tenant, the workflow, approvals), and its policies look the
    calling agent's tenant up in `agents`."""
    out: set[tuple[str, str, str, str, str | None]] = set()
    for role in roles:
        if role.kind == "steps":
            out |= {(role.name, INTERNAL_SCHEMA, t, "SELECT", None) for t in STEPS_READ}
            out |= {
                (role.name, INTERNAL_SCHEMA, table, "UPDATE", column)
                for table, columns in STEPS_UPDATE.items()
                for column in columns
            }
    return out


def schema_privileges(roles: tuple[RoleState, ...]) -> set[tuple[str, str, str]]:
    """(role, schema, privilege) on paybill's schemas: agents reach the API through their
    workflows' profiles, the approver too, and the application through its profiles (to read
    its entitlements); the steps role also calls into `paybill` and must be able to own
    functions in the API schema (PostgreSQL asks that of a function's owner)."""
    out: set[tuple[str, str, str]] = set()
    for role in roles:
        if role.kind == "steps":
            out |= {
                (role.name, INTERNAL_SCHEMA, "USAGE"),
                (role.name, API_SCHEMA, "USAGE"),
                (role.name, API_SCHEMA, "CREATE"),
            }
        elif role.kind in ("approver", "grants"):
            out.add((role.name, API_SCHEMA, "USAGE"))
    return out
