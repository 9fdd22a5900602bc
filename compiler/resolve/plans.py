"""Plans: sizing that must add up (min tasks <= max tasks, a task size Fargate runs, silo
networks usable)."""

from __future__ import annotations

from compiler import clouds as facts
from compiler.dsl import Parsed, Plan
from compiler.resolve import model
from compiler.resolve.clouds import check_pins, declared, sku_of, undeclared
from compiler.resolve.context import Context
from compiler.resolve.platform import check_cidr

DEFAULT_SILO_CIDR = "10.0.0.0/16"

# Fargate task sizes: cpu units -> (least memory, most memory, step), all in MiB.
FARGATE_MEMORY = {
    256: (512, 2048, 512),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def fargate_memory_problem(cpu: int, memory_mb: int) -> str:
    """Why Fargate would refuse this task size at apply time, or "" when it runs it."""
    least, most, step = FARGATE_MEMORY[cpu]
    if least <= memory_mb <= most and (memory_mb - least) % step == 0:
        return ""
    return (
        f"a Fargate task with cpu {cpu} takes memoryMb from {least} to {most} in steps of "
        f"{step}, not {memory_mb}"
    )


def resolve_plans(ctx: Context) -> tuple[model.Plan, ...]:
    out = []
    for name, doc in sorted(ctx.spec.plans.items()):
        spec = doc.model.spec
        resources = spec.resources
        database = compute = None
        cidr = None
        if resources is not None:
            if resources.database is not None:
                database = _plan_database(ctx, doc)
            if resources.compute is not None:
                c = resources.compute
                if c.min_tasks > c.max_tasks:
                    ctx.error(
                        doc,
                        ("spec", "resources", "compute", "minTasks"),
                        f"minTasks ({c.min_tasks}) is larger than maxTasks ({c.max_tasks})",
                    )
                problem = fargate_memory_problem(c.cpu, c.memory_mb)
                if problem:
                    ctx.error(doc, ("spec", "resources", "compute", "memoryMb"), problem)
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
                    limits.agent_steps_per_workflow,
                    limits.agent_rows_per_step,
                ),
                features=tuple(sorted(spec.features)),
                database=database,
                compute=compute,
                network_cidr=cidr,
                trial_days=spec.billing.trial_days,
                grace_period_days=spec.billing.grace_period_days,
                clouds=_plan_clouds(ctx, doc),
            )
        )
    return tuple(out)


def _plan_clouds(ctx: Context, doc: Parsed[Plan]) -> tuple[str, ...] | None:
    written = doc.model.spec.clouds
    if written is None:
        return None
    known = declared(ctx)
    for index, cloud in enumerate(written):
        if cloud not in known:
            undeclared(ctx, doc, ("spec", "clouds", index), cloud, f"plan '{doc.name}'")
    return tuple(sorted(written))


def _plan_database(ctx: Context, doc: Parsed[Plan]) -> model.PlanDatabase:
    """The plan's database sized on every cloud it may be used on; a cloud the plan names
    in `clouds` but cannot be sized on is reported here, any other when a tenant there
    uses the plan."""
    resources = doc.model.spec.resources
    db = resources.database if resources is not None else None
    assert db is not None  # only called for a plan that has one
    here = ("spec", "resources", "database")
    check_pins(ctx, doc, here, db)
    skus, unsized = [], []
    named = doc.model.spec.clouds
    for cloud in sorted(set(declared(ctx)) & set(named or facts.CLOUDS)):
        sku, why = sku_of(db, cloud)
        if sku is not None:
            skus.append((cloud, sku))
            continue
        unsized.append((cloud, why))
        if named is not None:
            ctx.error(
                doc, here, f"plan '{doc.name}' names {cloud} in clouds, but {why}", on_key=True
            )
    return model.PlanDatabase(tuple(skus), db.storage_gb, db.version, db.multi_az, tuple(unsized))
