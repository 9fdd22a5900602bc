"""`paybill describe KIND/NAME`: the resolved view a reviewer wants, as YAML or JSON.

Everything shown is read from the resolved model, so what `describe` says is what the
emitters will build: effective limits after overrides, features, which agents act in a
tenant with which workflows and privileges, and why the others do not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import yaml
from pydantic.alias_generators import to_camel

from compiler.errors import UsageError, did_you_mean
from compiler.graph import acl_node, sql_node, stack_node, tenant_node
from compiler.records import record_path
from compiler.resolve import ResolvedSpec, model
from compiler.resolve.entitlements import privileges, workflow_denial

KINDS = ("Platform", "Pool", "Plan", "Tenant", "Table", "Tool", "Agent", "Workflow")


def describe(spec: ResolvedSpec, subject: str, fmt: str = "yaml") -> str:
    kind, _, name = subject.partition("/")
    views: dict[str, Callable[[str], dict[str, Any]]] = {
        "platform": lambda _: _platform(spec),
        "pool": lambda n: _pool(spec, spec.pool(n)),
        "plan": lambda n: _plan(spec, spec.plan(n)),
        "tenant": lambda n: _tenant(spec, spec.tenant(n)),
        "table": lambda n: _table(spec, spec.table(n)),
        "tool": lambda n: _tool(spec, spec.tool(n)),
        "agent": lambda n: _agent(spec, spec.agent(n)),
        "workflow": lambda n: _workflow(spec, spec.workflow(n)),
    }
    view = views.get(kind.lower())
    if view is None:
        hint = did_you_mean(kind, KINDS)
        raise UsageError(
            f"cannot describe '{subject}': write KIND/NAME with KIND one of "
            f"{', '.join(KINDS)}" + (f" ({hint})" if hint else "")
        )
    if kind.lower() == "platform":
        if name and name != spec.platform.name:
            raise UsageError(f"the Platform is named '{spec.platform.name}', not '{name}'")
    else:
        known = _names(spec, kind.lower())
        if not name:
            raise UsageError(f"write {subject.rstrip('/')}/NAME; known: {', '.join(known)}")
        if name not in known:
            hint = did_you_mean(name, known)
            raise UsageError(f"no {kind} named '{name}'" + (f" ({hint})" if hint else ""))
    data = view(name)
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False) + "\n"
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


def _names(spec: ResolvedSpec, kind: str) -> list[str]:
    items: tuple[Any, ...] = getattr(spec, f"{kind}s")
    return [item.name for item in items]


def _fields(item: Any) -> dict[str, Any]:
    """A resolved dataclass as a mapping with the spec's camelCase keys (`storageGb`)."""
    return {to_camel(key): value for key, value in asdict(item).items()}


def _limits(limits: model.Limits) -> dict[str, Any]:
    return {
        to_camel(key): ("unlimited" if value is None else value)
        for key, value in asdict(limits).items()
    }


def _tenant(spec: ResolvedSpec, tenant: model.Tenant) -> dict[str, Any]:
    plan = spec.plan(tenant.plan)
    effective = _limits(tenant.limits)
    planned = _limits(plan.limits)
    view: dict[str, Any] = {
        "tenant": tenant.name,
        "displayName": tenant.display_name,
        "plan": f"{plan.name} ({plan.display_name})",
        "isolation": tenant.isolation,
        "cloud": tenant.cloud,
        "region": tenant.region,
        "pool": tenant.pool,
        "state": tenant.state,
        "subscription": tenant.subscription,
        "limits": effective,
        "overridden": {
            k: {"plan": planned[k], "tenant": v} for k, v in effective.items() if planned[k] != v
        },
        "features": list(tenant.features),
        "featuresAddedByOverride": sorted(set(tenant.features) - set(plan.features)),
        "dedicated": _dedicated(tenant),
        "stack": None if tenant.state == "deleted" else tenant.stack,
        "sqlTarget": None if tenant.state == "deleted" else tenant.sql_target,
        "records": _records(tenant),
        "appRole": tenant.app_role,
        "loginRole": tenant.login_role,
        "agents": [_access(a) for a in tenant.agents],
        "agentsNotPresent": _agents_not_present(tenant),
        "workflowsNotRun": _workflows_not_run(spec, tenant),
    }
    return view


def _records(tenant: model.Tenant) -> dict[str, str]:
    """The tenant's graph nodes and where, under generated/, each one's record is."""
    nodes = [tenant_node(tenant.name)]
    if tenant.state != "deleted":
        nodes += [stack_node(tenant.stack), acl_node(tenant.name)]
        if tenant.dedicated_database:
            nodes.append(sql_node(tenant.sql_target))
    return {node: record_path(node) for node in sorted(nodes)}


def _agents_not_present(tenant: model.Tenant) -> dict[str, str]:
    """Every agent of the spec that does not act in this tenant, and why."""
    return {d.subject.split("/", 1)[1]: d.reason for d in tenant.denied}


def _workflows_not_run(spec: ResolvedSpec, tenant: model.Tenant) -> dict[str, str]:
    """Every workflow of the spec that no agent runs in this tenant, and why."""
    running = {w for access in tenant.agents for w in access.workflows}
    absent = _agents_not_present(tenant)
    out = {}
    for workflow in spec.workflows:
        if workflow.name in running:
            continue
        runners = [a.name for a in spec.agents if workflow.name in a.workflows]
        reason = workflow_denial(tenant, workflow)
        if not reason and not runners:
            reason = "no agent is assigned to it"
        elif not reason:
            reason = "; ".join(
                f"agent {a} does not act here; {absent[a]}" for a in runners if a in absent
            )
        out[workflow.name] = reason
    return out


def _dedicated(tenant: model.Tenant) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if tenant.database:
        out["database"] = _fields(tenant.database)
    if tenant.compute and tenant.isolation == "silo":
        out["compute"] = _fields(tenant.compute)
    if tenant.network_cidr:
        out["network"] = tenant.network_cidr
    if tenant.isolation == "bridge" and tenant.compute:
        out["serviceInSharedCompute"] = _fields(tenant.compute)
    return out


def _access(access: model.AgentAccess) -> dict[str, Any]:
    return {
        "agent": access.agent,
        "role": access.role,
        "runsPerDay": access.runs_per_day,
        "concurrentRuns": access.concurrent_runs,
        "workflows": list(access.workflows),
        "workflowsNotAllowed": {
            d.subject.split("/", 1)[1]: d.reason for d in access.denied_workflows
        },
        "privileges": _privileges(access.privileges),
    }


def _privileges(privileges: tuple[model.TablePrivileges, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in privileges:
        entry: dict[str, Any] = {}
        for op in ("select", "insert", "update"):
            if getattr(p, op):
                entry[op] = list(getattr(p, op))
        if p.delete:
            entry["delete"] = True
        out[p.table] = entry
    return out


def _platform(spec: ResolvedSpec) -> dict[str, Any]:
    return {
        "platform": spec.platform.name,
        "cloud": spec.platform.cloud,
        "regions": list(spec.platform.regions),
        "clouds": {
            a.cloud: {"regions": list(a.regions), "stateBackend": _fields(a.state_backend)}
            for a in spec.platform.clouds
        },
        "stateBackend": _fields(spec.platform.state_backend),
        "database": spec.platform.database_name,
        "tenantColumn": spec.platform.tenant_column,
        "pools": [p.name for p in spec.pools],
        "tenants": {
            state: [t.name for t in spec.tenants if t.state == state]
            for state in ("pending", "active", "suspended", "offboarding", "deleted")
        },
        "specDigest": spec.spec_digest,
    }


def _pool(spec: ResolvedSpec, pool: model.Pool) -> dict[str, Any]:
    return {
        "pool": pool.name,
        "cloud": pool.cloud,
        "region": pool.region,
        "network": pool.cidr,
        "database": _fields(pool.database),
        "pooledTenants": list(pool.pooled_tenants),
        "bridgeTenants": list(pool.bridge_tenants),
        "roles": [r.name for r in spec.roles if r.target == pool.target],
    }


def _plan(spec: ResolvedSpec, plan: model.Plan) -> dict[str, Any]:
    return {
        "plan": plan.name,
        "displayName": plan.display_name,
        "isolation": plan.isolation,
        "limits": _limits(plan.limits),
        "features": list(plan.features),
        "billing": {"trialDays": plan.trial_days, "gracePeriodDays": plan.grace_period_days},
        "tenants": [t.name for t in spec.tenants if t.plan == plan.name],
        "workflowsGranted": [
            w.name
            for w in spec.workflows
            if w.requires_feature is None or w.requires_feature in plan.features
        ],
    }


def _table(spec: ResolvedSpec, table: model.Table) -> dict[str, Any]:
    return {
        "table": f"{table.schema}.{table.name}",
        "tenantScoped": table.tenant_scoped,
        "columns": {
            c.name: c.type
            + (" primary key" if c.primary_key else "")
            + (" null" if c.nullable else "")
            + (" pii" if c.pii else "")
            for c in table.columns
        },
        "usedBy": [
            f"{w.name}/{s.id} {s.query.operation}"
            for w in spec.workflows
            for s in w.steps
            if s.query is not None and s.query.table == table.name
        ],
    }


def _tool(spec: ResolvedSpec, tool: model.Tool) -> dict[str, Any]:
    return {
        "tool": tool.name,
        "description": tool.description,
        "effect": tool.effect,
        "approval": tool.approval,
        "usedBy": [
            f"{w.name}/{s.id}" for w in spec.workflows for s in w.steps if s.tool == tool.name
        ],
    }


def _agent(spec: ResolvedSpec, agent: model.Agent) -> dict[str, Any]:
    acting = {}
    absent = {}
    for tenant in spec.live_tenants:
        access = next((a for a in tenant.agents if a.agent == agent.name), None)
        if access is not None:
            acting[tenant.name] = list(access.workflows)
        else:
            reason = next(d.reason for d in tenant.denied if d.subject == f"agent/{agent.name}")
            absent[tenant.name] = reason
    return {
        "agent": agent.name,
        "description": agent.description,
        "workflows": list(agent.workflows),
        "limits": {"runsPerDay": agent.runs_per_day, "concurrentRuns": agent.concurrent_runs},
        "actsIn": acting,
        "absentFrom": absent,
    }


def _workflow(spec: ResolvedSpec, workflow: model.Workflow) -> dict[str, Any]:
    trigger = (
        {"schedule": workflow.trigger.schedule}
        if workflow.trigger.schedule
        else {"event": workflow.trigger.event}
    )
    return {
        "workflow": workflow.name,
        "description": workflow.description,
        "requiresFeature": workflow.requires_feature,
        "trigger": trigger,
        "limits": {
            "maxSteps": workflow.max_steps,
            "timeoutSeconds": workflow.timeout_seconds,
            "maxRowsPerStep": workflow.max_rows_per_step,
        },
        "steps": [
            {
                "id": s.id,
                "after": list(s.after),
                **({"query": _fields(s.query)} if s.query else {"tool": s.tool}),
                "allowPii": s.allow_pii,
                "approval": s.approval,
            }
            for s in workflow.steps
        ],
        "privileges": _privileges(privileges([workflow])),
        "agents": [a.name for a in spec.agents if workflow.name in a.workflows],
    }
