"""A target's desired state -> its ordered SQL files, rendered with templates/file.sql.j2.

`00-roles.sql`, `10-schema.sql`, `20-grants.sql`, `30-row-security.sql`: applied in lexical
order, each one transaction, each safe to apply again (roles and tables are created only
when missing, privileges are revoked from every managed role and granted again, policies
are dropped and created). They create and grant; removing what the spec no longer lists
(retired roles, hand-made policies, privileges of roles the files do not name) is what
`paybill sql apply` adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql, comment
from compiler.emit.sql.state import OWNER_COMMENT, RoleState, TableGrant, TargetState


@dataclass(frozen=True)
class Section:
    title: Sql
    statements: tuple[Sql, ...]


def section(title: str, statements: Sequence[Sql]) -> list[Section]:
    """A titled group of statements; none when there is nothing in it."""
    return [Section(comment(title), tuple(statements))] if statements else []


def render_files(state: TargetState) -> dict[str, bytes]:
    files = {
        "00-roles.sql": ("Roles: the table owner, privilege profiles, tenant roles.", _roles),
        "10-schema.sql": ("Schemas and tables, owned by the owner role.", _schema),
        "20-grants.sql": ("Privileges: only profiles hold them; PUBLIC has none.", _grants),
        "30-row-security.sql": ("Row-level security: forced, one policy per tenant.", _rls),
    }
    template = st.environment().get_template("file.sql.j2")
    return {
        name: template.render(
            title=comment(title), target=comment(state.target), sections=build(state)
        ).encode()
        for name, (title, build) in files.items()
    }


def _roles(state: TargetState) -> list[Section]:
    profiles = [r for r in state.roles if r.kind == "grants"]
    members = [r for r in state.roles if r.kind != "grants"]
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
            [s for role in profiles for s in _create(state, role)],
        ),
        *section(
            "Tenant roles: NOLOGIN, each inheriting from one profile; grant to a login role.",
            [s for role in members for s in _create(state, role)],
        ),
    ]


def _create(state: TargetState, role: RoleState) -> list[Sql]:
    out = [st.create_role_if_missing(role.name), st.comment_on_role(role.name, state.comment)]
    out.extend(st.grant_membership(group, [role.name]) for group in role.member_of)
    return out


def _schema(state: TargetState) -> list[Section]:
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
        statements.append(st.alter_table_owner(table.schema, table.name, state.owner))
        out.extend(section(f"Table {table.schema}.{table.name}", statements))
    return out


def _grants(state: TargetState) -> list[Section]:
    everyone: list[str | None] = [None, *(r.name for r in state.roles)]
    all_privileges = Sql("ALL")
    out = []
    for schema in state.schemas:
        users = sorted(role for role, s in state.usage() if s == schema)
        statements = [st.revoke(all_privileges, st.on_schema(schema), everyone)]
        if users:
            statements.append(st.grant(Sql("USAGE"), st.on_schema(schema), users))
        out.extend(section(f"Schema {schema}", statements))
    for table in state.tables:
        target = st.on_table(table.schema, table.name)
        statements = [st.revoke(all_privileges, target, everyone)]
        for role in state.roles:
            for grant in role.grants:
                if grant.key == table.key:
                    statements.append(st.grant(privilege_list(grant), target, [role.name]))
        out.extend(section(f"Table {table.schema}.{table.name}", statements))
    return out


def privilege_list(grant: TableGrant) -> Sql:
    """All of one role's privileges on one table, as one GRANT's privilege list."""
    clauses = [st.privilege_clause(p) for p in grant.table_privileges]
    for privilege, columns in (
        ("SELECT", grant.select),
        ("INSERT", grant.insert),
        ("UPDATE", grant.update),
    ):
        if columns:
            clauses.append(st.privilege_clause(privilege, columns))
    return st.privileges_clause(clauses)


def _rls(state: TargetState) -> list[Section]:
    out = []
    for table in state.tables:
        if table.row_security:
            statements = [
                st.row_security(table.schema, table.name, "ENABLE"),
                st.row_security(table.schema, table.name, "FORCE"),
            ]
        else:
            statements = [
                st.row_security(table.schema, table.name, "NO FORCE"),
                st.row_security(table.schema, table.name, "DISABLE"),
            ]
        for policy in state.policies:
            if (policy.schema, policy.table) == table.key:
                statements.append(
                    st.drop_policy(table.schema, table.name, policy.name, if_exists=True)
                )
                statements.append(st.create_policy(policy, state.tenant_column))
        shared = "" if table.row_security else " (shared reference data: read-only for all)"
        out.extend(section(f"Table {table.schema}.{table.name}{shared}", statements))
    return out
