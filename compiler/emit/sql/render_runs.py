"""The parts of a target's files that serve agents' runs (see runs.py, functions.py):

    15-runs.sql    paybill's schemas and tables, the workflows' limits, the run API
    40-steps.sql   one function per workflow step
and, in each tenant's file, the tenant's row (its state and the runs its agents may start
per day) and its agents' rows (whom they act for, their limits).
"""

from __future__ import annotations

from compiler.emit.sql import statements as st
from compiler.emit.sql.functions import Function, run_functions, statements, step_function
from compiler.emit.sql.quote import Sql
from compiler.emit.sql.runs import (
    INTERNAL_SCHEMAS,
    INTERNAL_TABLES,
    schema_privileges,
    table_privileges,
)
from compiler.emit.sql.state import (
    INTERNAL_SCHEMA,
    RoleState,
    SharedState,
    TableState,
    TenantPart,
)

Sections = list[tuple[str, list[Sql]]]


def _role(state: SharedState, kind: str) -> RoleState:
    return next(r for r in state.profiles if r.kind == kind)


def functions(state: SharedState) -> tuple[tuple[Function, ...], tuple[Function, ...]]:
    """The run API and the step functions of the target."""
    executor, approver = _role(state, "steps").name, _role(state, "approver").name
    agents = tuple(sorted(r.name for r in state.profiles if r.kind == "grants" and r.workflows))
    runs = run_functions(state.owner, executor, approver, agents)
    return runs, tuple(step_function(s, executor) for s in state.steps)


def internal_table(table: TableState, owner: str) -> list[Sql]:
    out = [st.create_table(table)]
    out.extend(st.add_column(table.schema, table.name, c) for c in table.columns)
    out.extend(st.create_index(table, i.name, i.columns) for i in table.indexes)
    out.append(st.alter_table_owner(table.schema, table.name, owner))
    out.extend(st.row_security(table.schema, table.name, a) for a in ("NO FORCE", "DISABLE"))
    return out


def runs_file(state: SharedState) -> Sections:
    runs, steps = functions(state)
    everyone: list[str | None] = [None, *(r.name for r in state.profiles)]
    privileges = sorted(schema_privileges(state.profiles))
    access: list[Sql] = []
    for schema in INTERNAL_SCHEMAS:
        access.append(st.revoke(Sql("ALL"), st.on_schema(schema), everyone))
        access.append(st.revoke(Sql("ALL"), st.on_all_tables(schema), everyone))
        for privilege in ("USAGE", "CREATE"):
            users = [r for r, s, p in privileges if (s, p) == (schema, privilege)]
            if users:
                access.append(st.grant(Sql(privilege), st.on_schema(schema), users))
    grants: dict[tuple[str, str, str], list[Sql]] = {}
    for role, schema, table, privilege, column in sorted(
        table_privileges(state.profiles), key=lambda g: (g[0], g[1], g[2], g[3], g[4] or "")
    ):
        clauses = grants.setdefault((role, schema, table), [])
        if column is None:
            clauses.append(st.privilege_clause(privilege))
        elif not clauses or not clauses[-1].startswith(privilege + " ("):
            columns = [
                c
                for r, s, t, p, c in table_privileges(state.profiles)
                if (r, s, t, p) == (role, schema, table, privilege) and c is not None
            ]
            clauses.append(st.privilege_clause(privilege, sorted(columns)))
    for (role, schema, table), clauses in sorted(grants.items()):
        access.append(st.grant(st.privileges_clause(clauses), st.on_table(schema, table), [role]))
    out: Sections = [
        (
            "paybill's schemas: no tenant, agent or profile role may use `paybill`.",
            [
                s
                for schema in INTERNAL_SCHEMAS
                for s in (
                    st.create_schema(schema, state.owner),
                    st.alter_schema_owner(schema, state.owner),
                )
            ],
        )
    ]
    out.extend(
        (f"Table {t.schema}.{t.name}", internal_table(t, state.owner)) for t in INTERNAL_TABLES
    )
    out.append(("Who may use them: agents reach paybill_api through their profiles.", access))
    rows = [
        (w.workflow, w.max_steps, w.timeout_seconds, w.max_rows_per_step, w.steps, w.approval_steps)
        for w in state.workflows
    ]
    limits = [
        st.keep_rows(
            INTERNAL_SCHEMA, "workflows", None, "workflow", [w.workflow for w in state.workflows]
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
    out.extend((f"Function {f.schema}.{f.name}", statements(f)) for f in runs)
    return out


def steps_file(state: SharedState) -> Sections:
    _, steps = functions(state)
    owns = [st.let_applier_own(_role(state, "steps").name)] if steps else []
    out: Sections = [("What creates the step functions must be able to give them away.", owns)]
    out.extend(
        (f"Step {s.workflow} / {s.step}", statements(f))
        for s, f in zip(state.steps, steps, strict=True)
    )
    return out


WORKFLOW_COLUMNS = (
    "workflow",
    "max_steps",
    "timeout_seconds",
    "max_rows_per_step",
    "steps",
    "approval_steps",
)
AGENT_COLUMNS = ("role", "tenant", "agent", "workflows", "runs_per_day", "concurrent_runs")
TENANT_COLUMNS = ("tenant", "state", "runs_per_day")


def tenant_rows(part: TenantPart) -> list[Sql]:
    """The tenant's row and its agents' rows (and no other agents of the tenant)."""
    out = [
        st.upsert(
            INTERNAL_SCHEMA,
            "tenants",
            TENANT_COLUMNS,
            [(part.tenant, part.state, part.agent_runs_per_day)],
            "tenant",
        ),
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
