"""Workflows -> what their steps are in a target: one `StepState` per step (the function an
agent calls for it, see functions.py) and one `WorkflowRow` per workflow (its run limits).

The same for every target of a spec but for the profile names; never names a tenant.
"""

from __future__ import annotations

from dataclasses import replace

from compiler.acl.names import step_function
from compiler.emit.sql.state import StepColumn, StepState, WorkflowRow
from compiler.resolve import ResolvedSpec
from compiler.resolve.model import Table


def workflow_rows(spec: ResolvedSpec) -> tuple[WorkflowRow, ...]:
    return tuple(
        WorkflowRow(
            workflow=w.name,
            max_steps=w.max_steps,
            timeout_seconds=w.timeout_seconds,
            max_rows_per_step=w.max_rows_per_step,
            steps=tuple(s.id for s in w.steps),
            approval_steps=tuple(s.id for s in w.steps if s.approval == "human"),
        )
        for w in spec.workflows
    )


def step_states(spec: ResolvedSpec, profiles: dict[str, str]) -> tuple[StepState, ...]:
    """Every step of every workflow; `profiles` maps a workflow to its profile's name."""
    out = []
    for workflow in spec.workflows:
        for step in workflow.steps:
            common = StepState(
                workflow=workflow.name,
                step=step.id,
                function=step_function(workflow.name, step.id),
                profile=profiles[workflow.name],
                after=tuple(sorted(step.after)),
                approval=step.approval == "human",
                operation="tool",
                max_steps=workflow.max_steps,
            )
            query = step.query
            if query is None:
                out.append(common)
                continue
            table = spec.table(query.table)
            keys = tuple(c for c in table.primary_key if c != spec.platform.tenant_column)
            out.append(
                replace(
                    common,
                    operation=query.operation,
                    schema=table.schema,
                    table=table.name,
                    columns=_columns(table, query.columns),
                    where=_columns(table, query.where, keys),
                    max_rows=workflow.max_rows_per_step,
                    tenant_column=(
                        spec.platform.tenant_column
                        if table.tenant_scoped and query.operation == "insert"
                        else ""
                    ),
                    key_size=len(keys) if table.tenant_scoped else 0,
                )
            )
    return tuple(sorted(out, key=lambda s: (s.workflow, s.step)))


def _columns(
    table: Table, names: tuple[str, ...], keys: tuple[str, ...] = ()
) -> tuple[StepColumn, ...]:
    """The step's columns; with `keys` (the table's key, the tenant column aside), each marks
    whether it names rows by their key, where the rows are a tenant's (tenant-scoped)."""
    return tuple(
        StepColumn(
            n,
            table.column(n).type,
            table.column(n).nullable,
            key=table.tenant_scoped and n in keys,
        )
        for n in names
    )
