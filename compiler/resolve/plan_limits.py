"""Workflows against the plans of the tenants they run in: steps per workflow, rows per step.

A plan may cap what any one workflow does for its tenants (`limits.agentStepsPerWorkflow`,
`limits.agentRowsPerStep`, optional; a tenant may override them like every other limit). A
workflow over such a cap is a compile error at the step that crosses it, so the author sees
the problem in review instead of an agent being cut off half-way through a run.

The check covers every tenant that still exists (not only active ones): suspended, pending
and offboarding tenants can become active again without another review of their workflows.
A workflow counts for a tenant when some agent is assigned to it and the tenant's features
grant its `requiresFeature`. Tenants that break the same cap the same way are reported in one
message, so a fleet of ten thousand tenants on one plan gives one error, not ten thousand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compiler.resolve import model
from compiler.resolve.context import Context

_NAMED_TENANTS = 3


@dataclass(frozen=True, slots=True)
class _Caps:
    steps: int | None
    rows: int | None


@dataclass(frozen=True, slots=True)
class _Breach:
    """One way a workflow goes over a cap: which cap, the cap's value, the step index."""

    cap: str  # "agentStepsPerWorkflow" | "agentRowsPerStep"
    limit: int
    step: int  # index as written in the workflow document


def check_plan_limits(
    ctx: Context,
    tenants: Iterable[model.Tenant],
    agents: Mapping[str, model.Agent],
    workflows: Mapping[str, model.Workflow],
) -> None:
    """Report every workflow step that goes over a cap of a tenant the workflow may run in."""
    assigned = {w for agent in agents.values() for w in agent.workflows}
    breaches: dict[tuple[str, _Breach], list[model.Tenant]] = defaultdict(list)
    for tenant in tenants:
        if tenant.state == "deleted":
            continue
        caps = _Caps(tenant.limits.agent_steps_per_workflow, tenant.limits.agent_rows_per_step)
        if caps.steps is None and caps.rows is None:
            continue
        for name in sorted(assigned):
            workflow = workflows.get(name)
            if workflow is None or not _granted(tenant, workflow):
                continue
            for breach in _breaches(ctx, workflow, caps):
                breaches[(name, breach)].append(tenant)
    for (name, breach), who in sorted(breaches.items(), key=lambda item: _order(item[0])):
        _report(ctx, workflows[name], breach, who)


def _granted(tenant: model.Tenant, workflow: model.Workflow) -> bool:
    feature = workflow.requires_feature
    return feature is None or feature in tenant.features


def _breaches(ctx: Context, workflow: model.Workflow, caps: _Caps) -> list[_Breach]:
    written = ctx.spec.workflows[workflow.name].model.spec.steps
    out = []
    if caps.steps is not None and len(written) > caps.steps:
        out.append(_Breach("agentStepsPerWorkflow", caps.steps, caps.steps))
    if caps.rows is not None and workflow.max_rows_per_step > caps.rows:
        first_query = next((i for i, s in enumerate(written) if s.query is not None), None)
        if first_query is not None:
            out.append(_Breach("agentRowsPerStep", caps.rows, first_query))
    return out


def _order(key: tuple[str, _Breach]) -> tuple[str, int, str, int]:
    name, breach = key
    return (name, breach.step, breach.cap, breach.limit)


def _report(
    ctx: Context, workflow: model.Workflow, breach: _Breach, tenants: list[model.Tenant]
) -> None:
    doc = ctx.spec.workflows[workflow.name]
    step = doc.model.spec.steps[breach.step]
    who, verb = _who(tenants)
    if breach.cap == "agentStepsPerWorkflow":
        message = (
            f"step '{step.id}' is step {breach.step + 1} of {len(doc.model.spec.steps)}, but "
            f"{who} {verb} at most {_count(breach.limit, 'step')} per workflow "
            "(limits.agentStepsPerWorkflow)"
        )
        hint = "shorten the workflow, or raise the plan's limit or the tenant's override"
    else:
        message = (
            f"step '{step.id}' may touch {workflow.max_rows_per_step} rows "
            f"(limits.maxRowsPerStep), but {who} {verb} at most "
            f"{_count(breach.limit, 'row')} per step (limits.agentRowsPerStep)"
        )
        hint = (
            f"lower the workflow's limits.maxRowsPerStep to {breach.limit} or less, or raise "
            "the plan's limit or the tenant's override"
        )
    ctx.error(doc, ("spec", "steps", breach.step), message, hint)


def _who(tenants: list[model.Tenant]) -> tuple[str, str]:
    """("tenant 'initech' (plan 'starter')", "allows") or, for several tenants,
    ("tenants 'a', 'b', 'c' and 8 more (plans 'free', 'starter')", "allow")."""
    names = sorted(t.name for t in tenants)
    plans = sorted({t.plan for t in tenants})
    shown = ", ".join(f"'{n}'" for n in names[:_NAMED_TENANTS])
    more = len(names) - _NAMED_TENANTS
    if more > 0:
        shown += f" and {more} more"
    plan_list = ", ".join(f"'{p}'" for p in plans)
    plan_word = "plan" if len(plans) == 1 else "plans"
    if len(names) == 1:
        return f"tenant {shown} ({plan_word} {plan_list})", "allows"
    return f"tenants {shown} ({plan_word} {plan_list})", "allow"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
