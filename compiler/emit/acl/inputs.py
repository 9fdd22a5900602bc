"""What one tenant's ACL files are built from, gathered once so that the digest and the
builders read the same things (a digest that missed an input would reuse stale files)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from compiler.emit.artifact import code_digest, fingerprint
from compiler.resolve import ResolvedSpec, model


@dataclass(frozen=True, slots=True)
class TenantInputs:
    """A live tenant (with its resolved agents and denials) and the definitions its allowed
    workflows use. Builders of per-tenant files may read nothing else."""

    tenant: model.Tenant
    workflows: tuple[model.Workflow, ...]  # allowed for at least one agent, sorted by name
    tables: tuple[model.Table, ...]  # queried by those workflows, sorted by name
    tools: tuple[model.Tool, ...]  # called by those workflows, sorted by name


class Catalog:
    """Per-workflow facts shared by every tenant: the tables and tools a workflow touches
    and a digest of all of it, computed once per compile instead of once per tenant."""

    def __init__(self, spec: ResolvedSpec) -> None:
        self.spec = spec
        self._tables: dict[str, tuple[model.Table, ...]] = {}
        self._tools: dict[str, tuple[model.Tool, ...]] = {}
        self._digests: dict[str, str] = {}
        for workflow in spec.workflows:
            steps = workflow.steps
            tables = sorted({s.query.table for s in steps if s.query is not None})
            tools = sorted({s.tool for s in steps if s.tool is not None})
            self._tables[workflow.name] = tuple(spec.table(t) for t in tables)
            self._tools[workflow.name] = tuple(spec.tool(t) for t in tools)
            self._digests[workflow.name] = fingerprint(
                workflow, self._tables[workflow.name], self._tools[workflow.name]
            )

    def inputs(self, tenant: model.Tenant) -> TenantInputs:
        names = sorted({w for access in tenant.agents for w in access.workflows})
        tables = {t.name: t for n in names for t in self._tables[n]}
        tools = {t.name: t for n in names for t in self._tools[n]}
        return TenantInputs(
            tenant=tenant,
            workflows=tuple(self.spec.workflow(n) for n in names),
            tables=tuple(tables[n] for n in sorted(tables)),
            tools=tuple(tools[n] for n in sorted(tools)),
        )

    def digest(self, tenant: model.Tenant) -> str:
        """Changes whenever anything in `inputs(tenant)` changes, or the plan's limits and
        features (the entitlements say which of the tenant's come from its overrides)."""
        names = sorted({w for access in tenant.agents for w in access.workflows})
        # Billing bookkeeping (the newest event applied) is not an input of the ACL.
        plain = replace(tenant, billed=None) if tenant.billed is not None else tenant
        plan = self.spec.plan(tenant.plan)
        return fingerprint(
            code_digest("acl"),
            plain,
            plan.limits,
            plan.features,
            [(n, self._digests[n]) for n in names],
        )
