"""What the billing sync needs to know of a spec: the plans' terms, the pools of each region,
each tenant's file, and who bills whom."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compiler.billing.decide import PlanTerms
from compiler.dsl import ParsedSpec
from compiler.pipeline import parse_folder


@dataclass(frozen=True)
class SpecFacts:
    parsed: ParsedSpec
    plans: dict[str, PlanTerms]
    pools_by_region: dict[str, tuple[str, ...]]
    tenant_files: dict[str, str]  # tenant -> its file, relative to the spec folder
    billed_by: dict[tuple[str, str], str]  # (provider, subscription id) -> tenant

    @classmethod
    def read(cls, spec_dir: Path) -> SpecFacts:
        parsed = parse_folder(spec_dir)
        plans = {}
        for name, plan in parsed.plans.items():
            spec = plan.model.spec
            limits = tuple(
                (f, getattr(spec.limits, f)) for f in sorted(type(spec.limits).model_fields)
            )
            plans[name] = PlanTerms(
                name=name,
                isolation=spec.isolation,
                grace_days=spec.billing.grace_period_days,
                limits=limits,
                features=frozenset(spec.features),
            )
        pools: dict[str, list[str]] = {}
        for pool in sorted(parsed.platform.model.spec.pools, key=lambda p: p.name):
            pools.setdefault(pool.region, []).append(pool.name)
        root = spec_dir.as_posix().rstrip("/") + "/"
        files, billed = {}, {}
        for name, doc in parsed.tenants.items():
            file = doc.source.file
            files[name] = file[len(root) :] if file.startswith(root) else file
            sub = doc.model.spec.subscription
            if sub.provider is not None and sub.id is not None:
                billed[(sub.provider, sub.id)] = name
        return cls(parsed, plans, {r: tuple(p) for r, p in pools.items()}, files, billed)
