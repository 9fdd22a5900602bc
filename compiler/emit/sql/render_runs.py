"""The parts of the SQL files that serve agents' runs (see runs.py, functions.py).

In the shared runtime (`sql/shared/`, the same in every target):
    15-runs.sql    paybill's schemas and tables, the workflows' limits, the run API
    40-steps.sql   one function per workflow step
In each target's own files (50-grants.sql): who may call the run API, who owns and may
call each step function; and, in each
tenant's file, the tenant's row (its state and the runs its agents may start per day) and
its agents' rows (whom they act for, their limits).

The functions' definitions do not name a target's roles; who owns a step function (the
target's steps role) and who may call a function (the target's profiles) do. So the
definitions are in the runtime, and that is in the target.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from compiler.emit.sql import statements as st
from compiler.emit.sql.functions import (
    Function,
    create,
    file_functions,
    run_functions,
    step_function,
)
from compiler.emit.sql.quote import Sql
from compiler.emit.sql.runs import INTERNAL_SCHEMAS, INTERNAL_TABLES
from compiler.emit.sql.runtime import (
    APP,
    APP_READONLY,
    APPROVER,
    STEPS,
    WORKFLOW,
    RuntimeState,
    profile_role,
    workflow_key,
)
from compiler.emit.sql.sections import Sections
from compiler.emit.sql.state import (
    INTERNAL_SCHEMA,
    SharedState,
    TableState,
    TenantPart,
    TenantRow,
)


@dataclass(frozen=True)
class Defined:
    """The functions every target defines, built once per compile (their bodies are most of
    the work): the files' helpers and the run API, then one per step. Where a function
    names a target's role (the steps role owns the step functions; profiles may call them),
    it names the profile's key; `named` gives a target's role names instead."""

    runs: tuple[Function, ...]
    steps: tuple[Function, ...]

    @classmethod
    def of(cls, runtime: RuntimeState) -> Defined:
        keys = runtime.keys
        agents = tuple(sorted(k for k in keys if k.startswith(WORKFLOW)))
        apps = tuple(k for k in (APP, APP_READONLY) if k in keys)
        owner = runtime.owner
        runs = (*file_functions(owner), *run_functions(owner, STEPS, APPROVER, agents, apps))
        return cls(runs, tuple(step_function(s, STEPS) for s in runtime.steps))

    def named(self, state: SharedState) -> Defined:
        """The same functions with `state`'s role names."""
        names = _names(state)

        def rename(f: Function) -> Function:
            callers = tuple(sorted(names.get(k, k) for k in f.execute))
            return replace(f, owner=names.get(f.owner, f.owner), execute=callers)

        return Defined(tuple(map(rename, self.runs)), tuple(map(rename, self.steps)))


def _names(state: SharedState) -> dict[str, str]:
    """Profile key -> `state`'s role, for the profiles that own or may call functions."""
    out: dict[str, str] = {}
    apps = {profile_role(state.target, k): k for k in (APP, APP_READONLY)}
    for role in state.profiles:
        if role.kind in (STEPS, APPROVER):
            out[role.kind] = role.name
        elif role.workflows:
            out[workflow_key(role.workflows[0])] = role.name
        elif role.name in apps:
            out[apps[role.name]] = role.name
    return out


def _defined(function: Function, owner: str) -> list[Sql]:
    """Create it; give it to `owner` when its owner is that role; let PUBLIC not run it."""
    out = [create(function)]
    if function.owner == owner:
        out.append(st.alter_function_owner(function.signature, owner))
    out.append(st.revoke(Sql("ALL"), st.on_functions([function.signature]), [None]))
    return out


# -- the shared runtime -------------------------------------------------------------------
def internal_table(table: TableState, owner: str) -> list[Sql]:
    out = [st.create_table(table)]
    out.extend(st.add_column(table.schema, table.name, c) for c in table.columns)
    out.extend(st.create_index(table, i.name, i.columns) for i in table.indexes)
    out.append(st.alter_table_owner(table.schema, table.name, owner))
    out.extend(st.row_security(table.schema, table.name, a) for a in ("NO FORCE", "DISABLE"))
    return out


def runs_file(runtime: RuntimeState, defined: Defined) -> Sections:
    runs, steps = defined.runs, defined.steps
    out: Sections = [
        (
            "paybill's schemas: no tenant, agent or profile role may use `paybill`.",
            [
                s
                for schema in INTERNAL_SCHEMAS
                for s in (
                    st.create_schema(schema, runtime.owner),
                    st.alter_schema_owner(schema, runtime.owner),
                )
            ],
        )
    ]
    out.extend(
        (f"Table {t.schema}.{t.name}", internal_table(t, runtime.owner)) for t in INTERNAL_TABLES
    )
    out.append(
        (
            "PUBLIC may not use them (each target's files say which of its roles may).",
            [
                st.revoke(Sql("ALL"), st.on_schema(*INTERNAL_SCHEMAS), [None]),
                st.revoke(Sql("ALL"), st.on_all_tables(*INTERNAL_SCHEMAS), [None]),
            ],
        )
    )
    rows = [
        (w.workflow, w.max_steps, w.timeout_seconds, w.max_rows_per_step, w.steps, w.approval_steps)
        for w in runtime.workflows
    ]
    limits = [
        st.keep_rows(
            INTERNAL_SCHEMA, "workflows", None, "workflow", [w.workflow for w in runtime.workflows]
        )
    ]
    if rows:
        limits.append(st.upsert(INTERNAL_SCHEMA, "workflows", WORKFLOW_COLUMNS, rows, "workflow"))
    out.append(("Every workflow's run limits.", limits))
    keep = [(f.schema, f.name, f.shape_digest) for f in (*runs, *steps)]
    out.append(
        (
            "Functions the spec no longer has, or whose arguments or result changed, go.",
            [st.keep_functions(INTERNAL_SCHEMAS, keep)],
        )
    )
    out.extend((f"Function {f.schema}.{f.name}", _defined(f, runtime.owner)) for f in runs)
    return out


def steps_file(runtime: RuntimeState, defined: Defined) -> Sections:
    return [
        (f"Step {s.workflow} / {s.step}", _defined(f, runtime.owner))
        for s, f in zip(runtime.steps, defined.steps, strict=True)
    ]


# -- a target's own files -----------------------------------------------------------------
def run_access(named: Defined) -> list[Sql]:
    """Who of the target's roles may call the run API (`named`: with the target's names)."""
    return _execute(named.runs)


def _execute(functions_: Iterable[Function]) -> list[Sql]:
    """GRANT EXECUTE, one statement per set of roles, naming every function they may call."""
    by_callers: dict[tuple[str, ...], list[Sql]] = defaultdict(list)
    for function in functions_:
        if function.execute:
            by_callers[function.execute].append(function.signature)
    return [
        st.grant(Sql("EXECUTE"), st.on_functions(signatures), callers)
        for callers, signatures in sorted(by_callers.items())
    ]


def _owned(named: Defined) -> list[Sql]:
    """ALTER FUNCTION ... OWNER TO, or one loop over the functions of each owner when it owns
    several (the owner's name written once)."""
    owners: dict[str, list[Sql]] = {}
    for function in named.steps:
        owners.setdefault(function.owner, []).append(function.signature)
    return [
        st.alter_function_owner(signatures[0], owner)
        if len(signatures) == 1
        else st.alter_functions_owner(signatures, owner)
        for owner, signatures in owners.items()
    ]


def step_access(named: Defined) -> Sections:
    """The step functions run as the target's steps role (they are SECURITY DEFINER), and
    each workflow's profile may call that workflow's steps (`named`: with its names)."""
    return [
        (
            "The step functions run as the steps role: it owns them.",
            _owned(named),
        ),
        ("Each workflow's profile may call the functions of its steps.", _execute(named.steps)),
    ]


# -- a tenant's file ----------------------------------------------------------------------
WORKFLOW_COLUMNS = (
    "workflow",
    "max_steps",
    "timeout_seconds",
    "max_rows_per_step",
    "steps",
    "approval_steps",
)
AGENT_COLUMNS = ("role", "tenant", "agent", "workflows", "runs_per_day", "concurrent_runs")
# What the spec says of a tenant's row; `runs_started` is the run API's own.
TENANT_COLUMNS = (
    "tenant",
    "state",
    "runs_per_day",
    "app_role",
    "plan",
    "seats",
    "storage_gb",
    "api_requests_per_second",
    "agent_steps_per_workflow",
    "agent_rows_per_step",
    "features",
)


def tenant_row(row: TenantRow) -> tuple[st.Value, ...]:
    """A tenant's row as the spec says it, in TENANT_COLUMNS' order."""
    limits = row.limits
    return (
        row.tenant,
        row.state,
        row.agent_runs_per_day,
        row.app_role,
        row.plan,
        limits.seats,
        limits.storage_gb,
        limits.api_requests_per_second,
        limits.agent_steps_per_workflow,
        limits.agent_rows_per_step,
        row.features,
    )


def tenant_rows(part: TenantPart) -> list[Sql]:
    """The tenant's row and its agents' rows (and no other agents of the tenant)."""
    row = TenantRow(
        part.tenant,
        part.state,
        part.agent_runs_per_day,
        part.app_role,
        part.plan,
        part.limits,
        part.features,
    )
    out = [
        st.upsert(INTERNAL_SCHEMA, "tenants", TENANT_COLUMNS, [tenant_row(row)], "tenant"),
        st.keep_rows(
            INTERNAL_SCHEMA,
            "agents",
            ("tenant", part.tenant),
            "role",
            [a.role for a in part.agents],
        ),
    ]
    if part.agents:
        rows = [
            (a.role, part.tenant, a.agent, a.workflows, a.runs_per_day, a.concurrent_runs)
            for a in part.agents
        ]
        out.append(
            st.upsert(INTERNAL_SCHEMA, "agents", AGENT_COLUMNS, rows, "role", only_if_same="tenant")
        )
    return out
