"""Compile-time checks of each target's desired state; any finding fails the build.

These look at what is about to be written, not at how it was derived, so they hold the
line however `build.py` changes:

* row-level security: every tenant-scoped table has it enabled and forced, every tenant
  role that can reach one is bound by a policy to its own tenant and no other; in a pool,
  no role can change a table that has no row-level security (its rows are every tenant's);
* ownership: the owner role is no tenant or profile role, nothing is a member of it, and
  no two managed roles share a name;
* least privilege: every privilege of an agent's role is needed by a step of a workflow the
  agent may run there (column-level SELECT for read and `where` columns, column-level
  INSERT/UPDATE, table DELETE), and personal data only where the step allows it.

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
from compiler.resolve.model import Step, Workflow

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
            bound.setdefault((policy.schema, policy.table, name), []).append(policy.tenant)
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
    # Tenant roles only: a workflow's profile exists in every pool, but only matters where
    # a tenant's agent is a member of it.
    for role in state.roles:
        if role.tenant is None:
            continue
        for atom in sorted(effective[role.name]):
            if atom.privilege not in _WRITES or spec.table(atom.table).tenant_scoped:
                continue
            for workflow, step in _steps_writing(spec, role.workflows, atom.table):
                if (workflow.name, step, atom.table) in reported:
                    continue
                reported.add((workflow.name, step, atom.table))
                yield _at(
                    state,
                    f"step '{step}' writes to table '{atom.table}', which is not tenant-scoped: "
                    f"in pool '{pool}' its rows are shared by every tenant and no row-level "
                    "security applies to them",
                    doc=f"Workflow/{workflow.name}",
                    path="spec.steps",
                    hint="make the table tenantScoped, or only read it from pooled tenants",
                )
            if not role.workflows and (role.name, atom.table, "") not in reported:
                reported.add((role.name, atom.table, ""))
                yield _at(
                    state,
                    f"role '{role.name}' could change table '{atom.table}', which is not "
                    f"tenant-scoped: in pool '{pool}' its rows are shared by every tenant",
                )


def _steps_writing(
    spec: ResolvedSpec, workflows: tuple[str, ...], table: str
) -> Iterator[tuple[Workflow, str]]:
    for name in workflows:
        workflow = spec.workflow(name)
        for step in workflow.steps:
            q = step.query
            if q is not None and q.table == table and q.operation != "select":
                yield workflow, step.id


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
    needs: dict[tuple[str, ...], set[Atom]] = {}
    for role in state.roles:
        if role.kind != "agent":
            continue
        if role.workflows not in needs:
            needs[role.workflows] = needed(spec, role.workflows)
        allowed = needs[role.workflows]
        extra = sorted(a for a in effective[role.name] if replace(a, role="") not in allowed)
        for atom in extra:
            what = (
                f"{atom.privilege} on column '{atom.column}'"
                if atom.column is not None
                else f"{atom.privilege} on the whole table"
            )
            yield _at(
                state,
                f"role '{role.name}' would get {what} of '{atom.schema}.{atom.table}', wider "
                f"than any step of its workflows ({', '.join(role.workflows) or 'none'}) needs",
                doc=f"Agent/{role.agent}",
            )
