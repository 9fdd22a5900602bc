"""Compile-time checks of each target's desired state; any finding fails the build.

These look at what is about to be written, not at how it was derived, so they hold the
line however `build.py` changes:

* row-level security: every tenant-scoped table has it enabled and forced, every tenant
  role that can reach one is bound by a policy to its own tenant and no other, and the
  steps role by its policy to the calling agent's tenant; in a pool, no role and no step
  can change a table that has no row-level security (its rows are every tenant's);
* ownership: the owner role is no tenant or profile role, and no tenant role is a member of
  it, of the steps role or of the approver; no two managed roles share a name;
* least privilege: agents hold no privilege on any table (they act only through the step
  functions); every privilege of the steps role is needed by a step of a workflow
  (column-level SELECT for read and `where` columns, column-level INSERT/UPDATE, table
  DELETE), and personal data only where the step allows it.

A tenant-scoped table without the tenant column is reported earlier, by resolve, with its
position in the spec.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

from compiler.emit.sql.state import Atom, TargetState
from compiler.errors import Diagnostic, Location, SpecError
from compiler.resolve import ResolvedSpec
from compiler.resolve.model import Step

_WRITES = ("INSERT", "UPDATE", "DELETE")


def check(spec: ResolvedSpec, states: list[TargetState]) -> None:
    """Raise one SpecError with every finding of every target."""
    problems = [p for state in states for p in lint(spec, state)]
    if problems:
        raise SpecError(problems)


Effective = dict[str, set[Atom]]  # role -> its privileges, inherited ones included


def lint(spec: ResolvedSpec, state: TargetState) -> list[Diagnostic]:
    effective = {
        role: {a for g in grants for a in g.atoms(role)}
        for role, grants in state.effective_grants().items()
    }
    found = [
        *_row_security(spec, state, effective),
        *_ownership(state),
        *_least_privilege(spec, state, effective),
    ]
    return sorted(found, key=Diagnostic.sort_key)


def _at(
    state: TargetState, message: str, doc: str = "", path: str = "", hint: str = ""
) -> Diagnostic:
    return Diagnostic(Location(f"sql:{state.target}"), message, doc, path, hint)


def _row_security(
    spec: ResolvedSpec, state: TargetState, effective: Effective
) -> Iterator[Diagnostic]:
    tables = {t.key: t for t in state.tables}
    for table in state.tables:
        if table.tenant_scoped and not table.row_security:
            yield _at(
                state,
                f"tenant-scoped table '{table.schema}.{table.name}' would not have row-level "
                "security enabled and forced",
            )
    bound: dict[tuple[str, str, str], list[str]] = {}
    for policy in state.policies:
        for name in policy.roles:
            tenant = policy.tenant if policy.bound == "tenant" else "(the calling agent's)"
            bound.setdefault((policy.schema, policy.table, name), []).append(tenant)
    steps = state.role_of("steps")
    if steps is not None:
        for key in sorted({(a.schema, a.table) for a in effective[steps.name]}):
            used = tables.get(key)
            if used is not None and used.tenant_scoped:
                tenants = bound.get((*key, steps.name), [])
                if tenants != ["(the calling agent's)"]:
                    yield _at(
                        state,
                        f"the steps role '{steps.name}' may use tenant-scoped table "
                        f"'{key[0]}.{key[1]}' but is bound by policies to tenants "
                        f"{sorted(tenants)}; it must be bound to the calling agent's tenant only",
                    )
    for role in state.roles:
        if role.tenant is None:
            continue
        for key in sorted({(a.schema, a.table) for a in effective[role.name]}):
            used = tables.get(key)
            if used is None or not used.tenant_scoped:
                continue
            tenants = bound.get((*key, role.name), [])
            if tenants != [role.tenant]:
                yield _at(
                    state,
                    f"role '{role.name}' of tenant '{role.tenant}' may use tenant-scoped table "
                    f"'{key[0]}.{key[1]}' but is bound by policies to tenants {sorted(tenants)}; "
                    f"it must be bound to exactly ['{role.tenant}']",
                )
    if state.target.startswith("pool-"):
        yield from _shared_writes(spec, state, effective)


def _shared_writes(
    spec: ResolvedSpec, state: TargetState, effective: Effective
) -> Iterator[Diagnostic]:
    pool = state.target.removeprefix("pool-")
    reported: set[tuple[str, str, str]] = set()
    # The steps of workflows an agent of the pool may run: every target has the functions
    # of every workflow, but only those an agent here may call matter here.
    run_here = sorted({w for r in state.roles if r.kind == "agent" for w in r.workflows})
    for name in run_here:
        for step in spec.workflow(name).steps:
            q = step.query
            if q is None or q.operation == "select" or spec.table(q.table).tenant_scoped:
                continue
            reported.add((name, step.id, q.table))
            yield _at(
                state,
                f"step '{step.id}' writes to table '{q.table}', which is not tenant-scoped: "
                f"in pool '{pool}' its rows are shared by every tenant and no row-level "
                "security applies to them",
                doc=f"Workflow/{name}",
                path="spec.steps",
                hint="make the table tenantScoped, or only read it from pooled tenants",
            )
    # Tenant roles: a profile exists in every pool, but only matters where a tenant's role
    # is a member of it.
    for role in state.roles:
        if role.tenant is None:
            continue
        for atom in sorted(effective[role.name]):
            if atom.privilege not in _WRITES or spec.table(atom.table).tenant_scoped:
                continue
            if (role.name, atom.table, "") not in reported:
                reported.add((role.name, atom.table, ""))
                yield _at(
                    state,
                    f"role '{role.name}' could change table '{atom.table}', which is not "
                    f"tenant-scoped: in pool '{pool}' its rows are shared by every tenant",
                )


def _ownership(state: TargetState) -> Iterator[Diagnostic]:
    counts = Counter(r.name for r in state.roles)
    counts[state.owner] += 1
    for name, count in sorted(counts.items()):
        if count > 1 and name == state.owner:
            yield _at(
                state,
                f"role '{name}' would own the schemas and tables and also be a tenant or "
                "profile role",
                hint="the owner role must be used by nothing else",
            )
        elif count > 1:
            yield _at(state, f"{count} different managed roles would be named '{name}'")
    for role in state.roles:
        if state.owner in role.member_of:
            yield _at(
                state,
                f"role '{role.name}' would be a member of the owner role '{state.owner}' "
                "and could alter or drop the tables and their policies",
            )
    definers = {r.name: r.kind for r in state.roles if r.kind in ("steps", "approver")}
    for role in state.roles:
        for group in role.member_of:
            if role.tenant is not None and group in definers:
                what = "the steps role" if definers[group] == "steps" else "the approver"
                yield _at(
                    state,
                    f"role '{role.name}' would be a member of {what} '{group}'"
                    + (
                        " and could act on every tenant's rows"
                        if definers[group] == "steps"
                        else " and could approve its own steps"
                    ),
                )


def needed(spec: ResolvedSpec, workflows: tuple[str, ...]) -> set[Atom]:
    """What the steps of these workflows need, derived again from the steps (the role of
    each atom is left empty)."""
    return {
        a for name in workflows for step in spec.workflow(name).steps for a in _step(spec, step)
    }


def _step(spec: ResolvedSpec, step: Step) -> set[Atom]:
    q = step.query
    if q is None:
        return set()
    table = spec.table(q.table)
    pii = {c.name for c in table.columns if c.pii}
    wanted: list[tuple[str, str | None]] = [("SELECT", c) for c in q.where]
    if q.operation == "delete":
        wanted.append(("DELETE", None))
    else:
        wanted.extend((q.operation.upper(), c) for c in q.columns)
    return {
        Atom("", table.schema, table.name, privilege, column)
        for privilege, column in wanted
        if column is None or column not in pii or step.allow_pii
    }


def _least_privilege(
    spec: ResolvedSpec, state: TargetState, effective: Effective
) -> Iterator[Diagnostic]:
    for role in state.roles:
        if role.kind == "agent":
            for atom in sorted(effective[role.name]):
                yield _at(
                    state,
                    f"role '{role.name}' would get {_what(atom)} of "
                    f"'{atom.schema}.{atom.table}': agents act only through the functions of "
                    "their workflows' steps and hold no privilege on any table",
                    doc=f"Agent/{role.agent}",
                )
        elif role.kind == "steps":
            allowed = needed(spec, role.workflows)
            for atom in sorted(
                a for a in effective[role.name] if replace(a, role="") not in allowed
            ):
                yield _at(
                    state,
                    f"the steps role '{role.name}' would get {_what(atom)} of "
                    f"'{atom.schema}.{atom.table}', wider than any step of the workflows "
                    f"({', '.join(role.workflows) or 'none'}) needs",
                )


def _what(atom: Atom) -> str:
    if atom.column is not None:
        return f"{atom.privilege} on column '{atom.column}'"
    return f"{atom.privilege} on the whole table"
