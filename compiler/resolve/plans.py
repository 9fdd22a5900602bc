"""Plans: sizing that must add up (min tasks <= max tasks, silo networks usable)."""

from __future__ import annotations

from compiler.resolve import model
from compiler.resolve.context import Context
from compiler.resolve.platform import check_cidr

DEFAULT_SILO_CIDR = "10.0.0.0/16"


def resolve_plans(ctx: Context) -> tuple[model.Plan, ...]:
    out = []
    for name, doc in sorted(ctx.spec.plans.items()):
        spec = doc.model.spec
        resources = spec.resources
        database = compute = None
        cidr = None
        if resources is not None:
            if resources.database is not None:
                db = resources.database
                database = model.DatabaseSize(
                    db.instance_class, db.storage_gb, "postgres", db.version
                )
            if resources.compute is not None:
                c = resources.compute
                if c.min_tasks > c.max_tasks:
                    ctx.error(
                        doc,
                        ("spec", "resources", "compute", "minTasks"),
                        f"minTasks ({c.min_tasks}) is larger than maxTasks ({c.max_tasks})",
                    )
                compute = model.ComputeSize(c.cpu, c.memory_mb, c.min_tasks, c.max_tasks)
            if resources.network is not None:
                cidr = resources.network.cidr
                check_cidr(ctx, doc, ("spec", "resources", "network", "cidr"), cidr)
        if spec.isolation == "silo" and cidr is None:
            cidr = DEFAULT_SILO_CIDR
        limits = spec.limits
        out.append(
            model.Plan(
                name=name,
                display_name=spec.display_name,
                isolation=spec.isolation,
                limits=model.Limits(
                    limits.seats,
                    limits.storage_gb,
                    limits.api_requests_per_second,
                    limits.agent_runs_per_day,
                ),
                features=tuple(sorted(spec.features)),
                database=database,
                compute=compute,
                network_cidr=cidr,
                trial_days=spec.billing.trial_days,
                grace_period_days=spec.billing.grace_period_days,
            )
        )
    return tuple(out)
