"""A target's own part -> the files of `sql/<target>/` (node `sql:<target>`), and each
tenant's file (node `tenant:<tenant>`).

    00-roles.sql          the privilege profiles, the steps role and the approver
    50-grants.sql         what each profile may do (and nothing else), on the tables, on
                          paybill's tables and functions; the steps role owns the step
                          functions, and its policies bind it to the calling agent's tenant
    tenants/<tenant>.sql  the tenant's roles, their profiles, its policies, the removal of
                          roles it no longer has, its and its agents' rows (state, limits)

These hold what names the target's own roles; the rest is the shared runtime's
(render_shared.py), applied with them in one order (render.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from compiler.emit.sql import render_runs
from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql
from compiler.emit.sql.render_runs import Defined
from compiler.emit.sql.runs import INTERNAL_SCHEMAS, schema_privileges, table_privileges
from compiler.emit.sql.sections import Section, render_file, section, sections
from compiler.emit.sql.state import (
    PRIVILEGES,
    RoleState,
    SharedState,
    TableGrant,
    TenantPart,
    caller_policies,
    role_comment,
    tenant_file,
)

TENANT_SQL = ".sql"


def render_target(state: SharedState, defined: Defined) -> dict[str, bytes]:
    """The target's own files, by name (`defined`: the runtime's functions, built once)."""
    scope = f"SQL target {state.target}"
    named = defined.named(state)
    return {
        name: render_file(title, scope, build(state, named))
        for name, (title, build) in TARGET_FILES.items()
    }


def render_tenant(shared: SharedState, part: TenantPart) -> dict[str, bytes]:
    """A tenant's file, by its path relative to the target's folder."""
    title = f"Tenant {part.tenant}: its roles, their profiles, its row-level policies, its limits."
    body = render_file(title, f"SQL target {part.target}", _tenant(shared, part))
    return {tenant_file(part.tenant, TENANT_SQL): body}


def _create(roles: list[RoleState], marker: str) -> list[Sql]:
    if not roles:
        return []
    return [st.create_marked_roles([r.name for r in roles], marker)]


def _roles(state: SharedState, named: Defined) -> list[Section]:
    marker = role_comment(state.target)
    steps = next((r for r in state.profiles if r.kind == "steps"), None)
    return [
        *section(
            "Privilege profiles: they hold the privileges; no policy names them (no rows).",
            _create([r for r in state.profiles if r.kind == "grants"], marker),
        ),
        *section(
            "What the step functions run as (bound to the calling agent's tenant), and who may "
            "approve steps. NOLOGIN.",
            _create([r for r in state.profiles if r.kind != "grants"], marker),
        ),
        *section(
            "What creates or replaces the step functions must be able to give them to it.",
            [st.let_applier_own(steps.name)] if steps is not None else [],
        ),
    ]


def _grants(state: SharedState, named: Defined) -> list[Section]:
    profiles = [r.name for r in state.profiles]
    everything = (*state.schemas, *INTERNAL_SCHEMAS)
    out = section(
        "No privileges but those below: what the profiles held before is revoked first.",
        [
            st.revoke(Sql("ALL"), st.on_schema(*everything), profiles),
            st.revoke(Sql("ALL"), st.on_all_tables(*everything), profiles),
        ],
    )
    users = {
        s: sorted({r.name for r in state.profiles for g in r.grants if g.schema == s})
        for s in state.schemas
    }
    out.extend(
        section(
            "Schemas",
            [st.grant(Sql("USAGE"), st.on_schema(s), names) for s, names in users.items() if names],
        )
    )
    for role in state.profiles:
        out.extend(section(f"Profile {role.name}", table_grants(role.name, role.grants)))
    out.extend(
        section(
            "paybill's schemas, tables and run API: only these roles may use them.",
            [*_internal(state), *render_runs.run_access(named)],
        )
    )
    out.extend(sections(render_runs.step_access(named)))
    out.extend(_rls(state))
    return out


def _internal(state: SharedState) -> list[Sql]:
    """The target's roles' privileges on paybill's schemas and tables (runs.py)."""
    out = []
    granted = sorted(schema_privileges(state.profiles))
    for schema in INTERNAL_SCHEMAS:
        for privilege in ("USAGE", "CREATE"):
            users = [r for r, s, p in granted if (s, p) == (schema, privilege)]
            if users:
                out.append(st.grant(Sql(privilege), st.on_schema(schema), users))
    atoms: dict[str, dict[tuple[str, str], dict[str, list[str]]]] = {}
    for role, schema, table, privilege, column in table_privileges(state.profiles):
        held = atoms.setdefault(role, {}).setdefault((schema, table), {})
        held.setdefault(privilege, []).extend([] if column is None else [column])
    for role, tables in sorted(atoms.items()):
        grants = [
            TableGrant(
                schema,
                table,
                tuple(p for p in PRIVILEGES if p in held and not held[p]),
                *(tuple(sorted(held.get(p, ()))) for p in ("SELECT", "INSERT", "UPDATE")),
            )
            for (schema, table), held in sorted(tables.items())
        ]
        out.extend(table_grants(role, grants))
    return out


def table_grants(role: str, grants: Iterable[TableGrant]) -> list[Sql]:
    """`role`'s privileges: whole-table ones in one statement per set of privileges (all
    the tables that get it), column lists in one statement per table."""
    whole: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
    out = []
    for grant in grants:
        if grant.select or grant.insert or grant.update:
            out.append(st.grant(privilege_list(grant), st.on_table(*grant.key), [role]))
        else:
            whole[grant.table_privileges].append(grant.key)
    for privileges, tables in sorted(whole.items(), key=lambda w: w[1][0]):
        clause = st.privileges_clause([st.privilege_clause(p) for p in privileges])
        out.append(st.grant(clause, st.on_tables(tables), [role]))
    return out


def privilege_list(grant: TableGrant) -> list[Sql]:
    """All of one role's privileges on one table: the whole-table ones together, then one
    column list per privilege (a GRANT of several puts each on its own line)."""
    whole = [st.privilege_clause(p) for p in grant.table_privileges]
    clauses = [st.privileges_clause(whole)] if whole else []
    for privilege, columns in (
        ("SELECT", grant.select),
        ("INSERT", grant.insert),
        ("UPDATE", grant.update),
    ):
        if columns:
            clauses.append(st.privilege_clause(privilege, columns, wrap=True))
    return clauses


def _rls(state: SharedState) -> list[Section]:
    """The steps role's one policy per tenant-scoped table it may use (the shared runtime
    enables and forces row-level security on every tenant-scoped table)."""
    return section(
        "Row-level security: the steps role sees the rows of the calling agent's tenant only.",
        st.bind_policies(caller_policies(state), state.tenant_column),
    )


TARGET_FILES: dict[str, tuple[str, Callable[[SharedState, Defined], list[Section]]]] = {
    "00-roles.sql": ("Roles: the privilege profiles, the steps role and the approver.", _roles),
    "50-grants.sql": ("Privileges: only the profiles hold them; PUBLIC has none.", _grants),
}


def _tenant(shared: SharedState, part: TenantPart) -> list[Section]:
    names = [r.name for r in part.roles]
    marker = role_comment(part.target, part.tenant)
    memberships = [(group, role.name) for role in part.roles for group in role.member_of]
    everything = (*shared.schemas, *INTERNAL_SCHEMAS)
    return [
        *section(
            "Roles: NOLOGIN; a deployment grants them to its login roles.",
            _create(list(part.roles), marker),
        ),
        *section(
            "Profiles: each role inherits its privileges from exactly these.",
            [
                *(st.grant_membership(group, [member]) for group, member in memberships),
                st.keep_memberships(memberships),
            ],
        ),
        *section(
            "No privileges of their own: everything comes from the profiles.",
            [
                st.revoke(Sql("ALL"), st.on_schema(*everything), names),
                st.revoke(Sql("ALL"), st.on_all_tables(*everything), names),
            ],
        ),
        *section(
            f"Row-level security: bound to tenant id '{part.tenant}'.",
            st.bind_policies(part.policies, shared.tenant_column),
        ),
        *section(
            "Roles this tenant no longer has (an agent removed, the tenant suspended).",
            [st.retire_roles(marker, names, shared.schemas)],
        ),
        *section(
            f"Tenant '{part.tenant}' and its agents in paybill's tables: state, run limits.",
            render_runs.tenant_rows(part),
        ),
    ]
