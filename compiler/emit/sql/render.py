"""A target's parts -> its SQL files, rendered with templates/file.sql.j2.

Shared by every tenant of the target (node `sql:<target>`), applied first:
    00-roles.sql          the owner, the privilege profiles, the steps role and the
                          approver; limits for every session of the database
    10-schema.sql         schemas and tables (keys, defaults)
    15-runs.sql           paybill's own schemas and tables, the workflows' limits, the run API
    20-grants.sql         the profiles' and the steps role's privileges; PUBLIC has none
    30-row-security.sql   row-level security enabled and forced; the steps role's policies
    40-steps.sql          one function per workflow step
One per tenant (node `tenant:<tenant>`), applied after them:
    tenants/<tenant>.sql  the tenant's roles, their profiles, its policies, the removal of
                          roles it no longer has, its and its agents' rows (state, limits)

Every `.sql` file of a target's folder, applied in lexical order of its path relative to the
folder, builds the target: each file is one transaction and may be applied again (roles and
tables are created only when missing, privileges and memberships are set to exactly what the
spec says, policies are dropped and created). What they cannot know is what belonged to
tenants that left the target: `paybill sql apply` removes their roles too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from compiler.emit.sql import render_runs
from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql, comment
from compiler.emit.sql.runs import INTERNAL_SCHEMAS
from compiler.emit.sql.state import (
    OWNER_COMMENT,
    RoleState,
    SharedState,
    TableGrant,
    TenantPart,
    caller_policies,
    role_comment,
    tenant_file,
)

TENANT_SQL = ".sql"


@dataclass(frozen=True)
class Section:
    title: Sql
    statements: tuple[Sql, ...]


def section(title: str, statements: Sequence[Sql]) -> list[Section]:
    """A titled group of statements; none when there is nothing in it."""
    return [Section(comment(title), tuple(statements))] if statements else []


def _render(title: str, target: str, sections: list[Section]) -> bytes:
    template = st.environment().get_template("file.sql.j2")
    return template.render(title=comment(title), target=comment(target), sections=sections).encode()


def render_shared(state: SharedState) -> dict[str, bytes]:
    """The shared files of a target, by name."""
    return {
        name: _render(title, state.target, build(state))
        for name, (title, build) in _SHARED_FILES.items()
    }


def render_tenant(shared: SharedState, part: TenantPart) -> dict[str, bytes]:
    """A tenant's file, by its path relative to the target's folder."""
    title = f"Tenant {part.tenant}: its roles, their profiles, its row-level policies, its limits."
    return {
        tenant_file(part.tenant, TENANT_SQL): _render(title, part.target, _tenant(shared, part))
    }


def _roles(state: SharedState) -> list[Section]:
    return [
        *section(
            "Owner of every schema and table: NOLOGIN, and no tenant or agent role is a member.",
            [
                st.create_role_if_missing(state.owner),
                st.comment_on_role(state.owner, OWNER_COMMENT),
                st.let_applier_own(state.owner),
            ],
        ),
        *section(
            "Privilege profiles: they hold the privileges; no policy names them (no rows).",
            [
                s
                for role in state.profiles
                if role.kind == "grants"
                for s in _create(role, role_comment(state.target))
            ],
        ),
        *section(
            "What the step functions run as (bound to the calling agent's tenant), and who may "
            "approve steps. NOLOGIN.",
            [
                s
                for role in state.profiles
                if role.kind != "grants"
                for s in _create(role, role_comment(state.target))
            ],
        ),
        *section(
            "Limits for every session of this database (a session may still change its own).",
            [st.current_database_setting(x.name, x.value) for x in state.settings],
        ),
    ]


def _create(role: RoleState, marker: str) -> list[Sql]:
    return [st.create_role_if_missing(role.name), st.comment_on_role(role.name, marker)]


def _schema(state: SharedState) -> list[Section]:
    out = section(
        "Schemas",
        [
            s
            for schema in state.schemas
            for s in (
                st.create_schema(schema, state.owner),
                st.alter_schema_owner(schema, state.owner),
            )
        ],
    )
    for table in state.tables:
        statements = [st.create_table(table)]
        statements.extend(st.add_column(table.schema, table.name, c) for c in table.columns)
        statements.append(st.column_defaults(table))
        statements.append(st.alter_table_owner(table.schema, table.name, state.owner))
        out.extend(section(f"Table {table.schema}.{table.name}", statements))
    out.extend(
        section(
            "Keys of tables created before their key began with the tenant column: widened.",
            [st.ensure_primary_keys(state.tables)] if state.tables else [],
        )
    )
    return out


def _runs(state: SharedState) -> list[Section]:
    return [
        s for title, statements in render_runs.runs_file(state) for s in section(title, statements)
    ]


def _steps(state: SharedState) -> list[Section]:
    return [
        s for title, statements in render_runs.steps_file(state) for s in section(title, statements)
    ]


def _grants(state: SharedState) -> list[Section]:
    everyone: list[str | None] = [None, *(r.name for r in state.profiles)]
    all_privileges = Sql("ALL")
    out = []
    for schema in state.schemas:
        users = sorted({r.name for r in state.profiles for g in r.grants if g.schema == schema})
        statements = [st.revoke(all_privileges, st.on_schema(schema), everyone)]
        if users:
            statements.append(st.grant(Sql("USAGE"), st.on_schema(schema), users))
        out.extend(section(f"Schema {schema}", statements))
    for table in state.tables:
        target = st.on_table(table.schema, table.name)
        statements = [st.revoke(all_privileges, target, everyone)]
        for role in state.profiles:
            for grant in role.grants:
                if grant.key == table.key:
                    statements.append(st.grant(privilege_list(grant), target, [role.name]))
        out.extend(section(f"Table {table.schema}.{table.name}", statements))
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
    out = []
    bound = {(p.schema, p.table): p for p in caller_policies(state)}
    for table in state.tables:
        if table.row_security:
            statements = [
                st.row_security(table.schema, table.name, "ENABLE"),
                st.row_security(table.schema, table.name, "FORCE"),
            ]
            policy = bound.get(table.key)
            if policy is not None:
                statements.append(
                    st.drop_policy(policy.schema, policy.table, policy.name, if_exists=True)
                )
                statements.append(st.create_policy(policy, state.tenant_column))
        else:
            statements = [
                st.row_security(table.schema, table.name, "NO FORCE"),
                st.row_security(table.schema, table.name, "DISABLE"),
            ]
        shared = "" if table.row_security else " (shared reference data: read-only for all)"
        out.extend(section(f"Table {table.schema}.{table.name}{shared}", statements))
    return out


_SHARED_FILES: dict[str, tuple[str, Callable[[SharedState], list[Section]]]] = {
    "00-roles.sql": ("Roles: the table owner and the privilege profiles.", _roles),
    "10-schema.sql": ("Schemas and tables, owned by the owner role.", _schema),
    "15-runs.sql": ("Runs: paybill's own tables and the functions agents start runs with.", _runs),
    "20-grants.sql": ("Privileges: only profiles hold them; PUBLIC has none.", _grants),
    "30-row-security.sql": ("Row-level security: enabled and forced.", _rls),
    "40-steps.sql": ("Steps: one function per workflow step, the only way agents act.", _steps),
}


def _tenant(shared: SharedState, part: TenantPart) -> list[Section]:
    names = [r.name for r in part.roles]
    marker = role_comment(part.target, part.tenant)
    memberships = [(group, role.name) for role in part.roles for group in role.member_of]
    everything = Sql("ALL")
    direct = [
        st.revoke(everything, on, names)
        for schema in (*shared.schemas, *INTERNAL_SCHEMAS)
        for on in (st.on_schema(schema), st.on_all_tables(schema))
    ]
    policies = [
        s
        for policy in part.policies
        for s in (
            st.drop_policy(policy.schema, policy.table, policy.name, if_exists=True),
            st.create_policy(policy, shared.tenant_column),
        )
    ]
    return [
        *section(
            "Roles: NOLOGIN; a deployment grants them to its login roles.",
            [s for role in part.roles for s in _create(role, marker)],
        ),
        *section(
            "Profiles: each role inherits its privileges from exactly these.",
            [
                *(st.grant_membership(group, [member]) for group, member in memberships),
                st.keep_memberships(memberships),
            ],
        ),
        *section("No privileges of their own: everything comes from the profiles.", direct),
        *section(f"Row-level security: bound to tenant id '{part.tenant}'.", policies),
        *section(
            "Roles this tenant no longer has (an agent removed, the tenant suspended).",
            [st.retire_roles(marker, names, shared.schemas)],
        ),
        *section(
            f"Tenant '{part.tenant}' and its agents in paybill's tables: state, run limits.",
            render_runs.tenant_rows(part),
        ),
    ]
