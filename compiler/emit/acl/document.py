"""`acl/<tenant>.json`: one tenant's default-deny allow-list, as plain data.

The shape is `compiler/schemas/acl-v1.schema.json`. Limits are resolved here from the model,
never repeated from the spec: runs per day is already the least of the agent's limit and the
tenant's `agentRunsPerDay`; a step's row cap is its workflow's `maxRowsPerStep`. A tenant
that is not active has no agents, and `denied` says why for every agent and for every
workflow an allowed agent may not run here.
"""

from __future__ import annotations

from typing import Any

from compiler.acl.schema import SCHEMA_VERSION
from compiler.emit.acl.inputs import TenantInputs
from compiler.resolve import model


def acl_document(inputs: TenantInputs) -> dict[str, Any]:
    tenant = inputs.tenant
    flows = {w.name: _workflow(inputs, w) for w in inputs.workflows}
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tenant": tenant.name,
        "plan": tenant.plan,
        "state": tenant.state,
        "default": "deny",
        "agents": {
            access.agent: {
                "role": access.role,
                "limits": {
                    "runsPerDay": access.runs_per_day,
                    "concurrentRuns": access.concurrent_runs,
                },
                "workflows": {name: flows[name] for name in access.workflows},
            }
            for access in tenant.agents
        },
        "denied": _denied(tenant),
    }


def _workflow(inputs: TenantInputs, workflow: model.Workflow) -> dict[str, Any]:
    trigger = workflow.trigger
    return {
        "trigger": (
            {"schedule": trigger.schedule}
            if trigger.schedule is not None
            else {"event": trigger.event}
        ),
        "limits": {
            "maxSteps": workflow.max_steps,
            "timeoutSeconds": workflow.timeout_seconds,
            "maxRowsPerStep": workflow.max_rows_per_step,
        },
        "steps": [_step(inputs, workflow, step) for step in workflow.steps],
    }


def _step(inputs: TenantInputs, workflow: model.Workflow, step: model.Step) -> dict[str, Any]:
    out: dict[str, Any] = {"id": step.id, "after": list(step.after), "approval": step.approval}
    if step.query is not None:
        query = step.query
        table = next(t for t in inputs.tables if t.name == query.table)
        pii = {c.name for c in table.columns if c.pii}
        out["query"] = {
            "table": query.table,
            "schema": table.schema,
            "operation": query.operation,
            "columns": list(query.columns),
            "where": list(query.where),
            "maxRows": workflow.max_rows_per_step,
            "pii": sorted(pii & {*query.columns, *query.where}),
        }
    else:
        assert step.tool is not None
        tool = next(t for t in inputs.tools if t.name == step.tool)
        out["tool"] = {"name": tool.name, "effect": tool.effect}
    return out


def _denied(tenant: model.Tenant) -> list[dict[str, str]]:
    """Absent agents and refused workflows of present agents, sorted for stable diffs."""
    out = [{"agent": d.subject.removeprefix("agent/"), "reason": d.reason} for d in tenant.denied]
    out.extend(
        {"agent": access.agent, "workflow": d.subject.removeprefix("workflow/"), "reason": d.reason}
        for access in tenant.agents
        for d in access.denied_workflows
    )
    return sorted(out, key=lambda d: (d["agent"], d.get("workflow", "")))
