"""`acl/entitlements/<tenant>.json`: what a tenant's plan gives it, after its overrides.

Every limit and feature of the tenant's effective plan, which of them its overrides decide,
and what the plan dedicates to it (database and service sizes). The application reads it
(`compiler.acl.entitlements`); it belongs to the tenant's ACL node and is published with the
ACL, so a plan edit that changes no infrastructure (seats 10 -> 12) is still a change of
these files: reviewed in the plan, applied by publishing them. Small on purpose: one of
them per tenant, in a fleet of thousands.
"""

from __future__ import annotations

from typing import Any

from compiler.acl.entitlements import ENTITLEMENTS_VERSION, FOLDER
from compiler.resolve import model

# The spec's names for the limits, in the order the DSL lists them.
LIMITS = (
    ("seats", "seats"),
    ("storageGb", "storage_gb"),
    ("apiRequestsPerSecond", "api_requests_per_second"),
    ("agentRunsPerDay", "agent_runs_per_day"),
    ("agentStepsPerWorkflow", "agent_steps_per_workflow"),
    ("agentRowsPerStep", "agent_rows_per_step"),
)


def entitlements_path(tenant: str) -> str:
    return f"acl/{FOLDER}/{tenant}.json"


def entitlements_document(tenant: model.Tenant, plan: model.Plan) -> dict[str, Any]:
    limits = {name: getattr(tenant.limits, field) for name, field in LIMITS}
    planned = {name: getattr(plan.limits, field) for name, field in LIMITS}
    return {
        "schemaVersion": ENTITLEMENTS_VERSION,
        "tenant": tenant.name,
        "plan": tenant.plan,
        "state": tenant.state,
        "limits": limits,
        "features": list(tenant.features),
        "fromOverrides": {
            "limits": [name for name, value in limits.items() if value != planned[name]],
            "features": sorted(set(tenant.features) - set(plan.features)),
        },
        "resources": _resources(tenant),
    }


def _resources(tenant: model.Tenant) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if tenant.database is not None:
        database = tenant.database
        out["database"] = {
            "engine": database.engine,
            "version": database.version,
            "instanceClass": database.instance_class,
            "storageGb": database.storage_gb,
            "multiAz": database.multi_az,
        }
    if tenant.compute is not None and tenant.isolation != "pooled":
        compute = tenant.compute
        out["compute"] = {
            "cpu": compute.cpu,
            "memoryMb": compute.memory_mb,
            "minTasks": compute.min_tasks,
            "maxTasks": compute.max_tasks,
        }
    return out
