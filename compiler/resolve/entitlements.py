"""Which agents may act in which tenant, running which workflows, with which privileges.

The rule (docs: "What the compiler derives"): an agent may run a workflow in a tenant only if
the tenant is `active` and the tenant's features include the workflow's `requiresFeature`.
Database privileges are the union of what the allowed workflows' steps use, nothing more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from compiler.resolve import model
from compiler.resolve.roles import agent_role


def grant_tenant_access(
    tenant: model.Tenant,
    agents: Iterable[model.Agent],
    workflows: dict[str, model.Workflow],
    plan_limits: model.Limits | None = None,
    memo: dict[tuple[str, ...], tuple[model.TablePrivileges, ...]] | None = None,
) -> model.Tenant:
    """The tenant with `agents` (who may act, and how) and `denied` (who may not, and why).

    `plan_limits` (the plan's, before overrides) only serve to say whether a limit of zero
    comes from the plan or from the tenant's overrides. `memo` keeps the privileges of each
    set of workflows across calls: a fleet has thousands of tenants but few such sets.
    """
    memo = {} if memo is None else memo
    present: list[model.AgentAccess] = []
    denied: list[model.Denial] = []
    for agent in sorted(agents, key=lambda a: a.name):
        allowed: list[str] = []
        refused: list[model.Denial] = []
        for name in sorted(agent.workflows):
            reason = workflow_denial(tenant, workflows[name])
            if reason:
                refused.append(model.Denial(f"workflow/{name}", reason))
            else:
                allowed.append(name)
        runs = _least(agent.runs_per_day, tenant.limits.agent_runs_per_day)
        if allowed and runs == 0:
            denied.append(model.Denial(f"agent/{agent.name}", _zero_runs(tenant, plan_limits)))
            continue
        if not allowed:
            denied.append(model.Denial(f"agent/{agent.name}", _combine(refused)))
            continue
        present.append(
            model.AgentAccess(
                agent=agent.name,
                role=agent_role(tenant.name, agent.name),
                workflows=tuple(allowed),
                denied_workflows=tuple(refused),
                runs_per_day=runs,
                concurrent_runs=agent.concurrent_runs,
                privileges=_privileges_of(tuple(allowed), workflows, memo),
            )
        )
    return replace(tenant, agents=tuple(present), denied=tuple(denied))


def _zero_runs(tenant: model.Tenant, plan_limits: model.Limits | None) -> str:
    planned = None if plan_limits is None else plan_limits.agent_runs_per_day
    if plan_limits is None or planned == 0:
        return f"plan '{tenant.plan}' allows 0 agent runs per day for this tenant"
    allows = "unlimited" if planned is None else str(planned)
    return f"the tenant's overrides set agentRunsPerDay to 0 (plan '{tenant.plan}' allows {allows})"


def workflow_denial(tenant: model.Tenant, workflow: model.Workflow) -> str:
    """Why `workflow` may not run in `tenant`, or an empty string when it may."""
    if tenant.state != "active":
        return f"tenant is {tenant.state}; agents act only in active tenants"
    feature = workflow.requires_feature
    if feature is not None and feature not in tenant.features:
        return f"plan '{tenant.plan}' does not grant feature '{feature}'"
    return ""


def _combine(refused: list[model.Denial]) -> str:
    reasons = sorted({d.reason for d in refused})
    return "; ".join(reasons) if reasons else "no workflows assigned"


def _privileges_of(
    names: tuple[str, ...],
    workflows: dict[str, model.Workflow],
    memo: dict[tuple[str, ...], tuple[model.TablePrivileges, ...]],
) -> tuple[model.TablePrivileges, ...]:
    found = memo.get(names)
    if found is None:
        found = memo[names] = privileges(workflows[w] for w in names)
    return found


def _least(agent_limit: int, tenant_limit: int | None) -> int:
    return agent_limit if tenant_limit is None else min(agent_limit, tenant_limit)


def privileges(workflows: Iterable[model.Workflow]) -> tuple[model.TablePrivileges, ...]:
    """Column-level SELECT for read and `where` columns, INSERT/UPDATE columns, table DELETE."""
    select: dict[str, set[str]] = defaultdict(set)
    insert: dict[str, set[str]] = defaultdict(set)
    update: dict[str, set[str]] = defaultdict(set)
    delete: set[str] = set()
    for workflow in workflows:
        for step in workflow.steps:
            query = step.query
            if query is None:
                continue
            select[query.table].update(query.where)
            if query.operation == "select":
                select[query.table].update(query.columns)
            elif query.operation == "insert":
                insert[query.table].update(query.columns)
            elif query.operation == "update":
                update[query.table].update(query.columns)
            else:
                delete.add(query.table)
    tables = sorted(set(select) | set(insert) | set(update) | delete)
    return tuple(
        model.TablePrivileges(
            table=table,
            select=tuple(sorted(select.get(table, ()))),
            insert=tuple(sorted(insert.get(table, ()))),
            update=tuple(sorted(update.get(table, ()))),
            delete=table in delete,
        )
        for table in tables
    )
