"""Typed calls into templates/statements.sql.j2: names in, one quoted statement out.

This is where names from the spec are quoted (via `quote`) before a template lays them
out; the generated files (`render.py`) and `paybill sql apply` (`compiler.sqlops`) both
build their SQL here, so the two cannot drift apart in syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import jinja2

from compiler.emit.sql.quote import Sql, column_type, ident, idents, join, keyword, literal
from compiler.emit.sql.state import ColumnState, PolicyState, TableState

# Every managed role: NOLOGIN (a deployment grants it to a login role), no attribute that
# would let it escape row-level security or administer others. INHERIT, so that a tenant
# role has the privileges of its profile.
ROLE_OPTIONS = (
    "NOSUPERUSER",
    "NOCREATEDB",
    "NOCREATEROLE",
    "INHERIT",
    "NOLOGIN",
    "NOREPLICATION",
    "NOBYPASSRLS",
)

Grantee = str | None  # None is PUBLIC


def _only_sql(value: Any) -> Any:
    """Template finalizer: print quoted SQL (or numbers), refuse everything else."""
    if isinstance(value, Sql | int) and not isinstance(value, bool):
        return value
    raise TypeError(f"template tried to print unquoted text: {value!r}")


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("compiler.emit.sql", "templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        finalize=_only_sql,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _macros() -> Any:
    return environment().get_template("statements.sql.j2").module


def _call(name: str, **kwargs: Sql) -> Sql:
    return Sql(getattr(_macros(), name)(**kwargs))


def grantees(names: Sequence[Grantee]) -> Sql:
    return join(Sql("PUBLIC") if n is None else ident(n) for n in names)


def table_name(schema: str, table: str) -> Sql:
    return Sql(f"{ident(schema)}.{ident(table)}")


def privilege_clause(privilege: str, columns: Sequence[str] | None = None) -> Sql:
    """`SELECT ("a", "b")` for columns, `DELETE` for the whole table."""
    word = keyword(privilege)
    return word if columns is None else Sql(f"{word} ({idents(columns)})")


def privileges_clause(clauses: Sequence[Sql]) -> Sql:
    return join(clauses)


# -- roles ------------------------------------------------------------------------------
def role_options(options: Sequence[str] = ROLE_OPTIONS) -> Sql:
    return join((keyword(o) for o in options), " ")


def create_role(role: str) -> Sql:
    return _call("create_role", role=ident(role), options=role_options())


def create_role_if_missing(role: str) -> Sql:
    return _call(
        "create_role_if_missing",
        role_literal=literal(role),
        role=ident(role),
        options=role_options(),
    )


def alter_role(role: str, options: Sequence[str]) -> Sql:
    return _call("alter_role", role=ident(role), options=role_options(options))


def comment_on_role(role: str, text: str) -> Sql:
    return _call("comment_on_role", role=ident(role), text=literal(text))


def drop_role(role: str) -> Sql:
    return _call("drop_role", role=ident(role))


def grant_membership(group: str, members: Sequence[str]) -> Sql:
    return _call("grant_membership", group=ident(group), members=idents(members))


def revoke_membership(group: str, member: str) -> Sql:
    return _call("revoke_membership", group=ident(group), member=ident(member))


def revoke_admin_option(group: str, member: str) -> Sql:
    return _call("revoke_admin_option", group=ident(group), member=ident(member))


def let_applier_own(owner: str) -> Sql:
    """Make the login that applies a member of the owner role unless it already is one (a
    superuser always is): creating objects for another owner requires that membership."""
    return _call("let_applier_own", owner_literal=literal(owner), owner=ident(owner))


# -- schemas and tables -----------------------------------------------------------------
def create_schema(schema: str, owner: str) -> Sql:
    return _call("create_schema", schema=ident(schema), owner=ident(owner))


def alter_schema_owner(schema: str, owner: str) -> Sql:
    return _call("alter_schema_owner", schema=ident(schema), owner=ident(owner))


def column_definition(column: ColumnState) -> Sql:
    return _call(
        "column_definition",
        column=ident(column.name),
        type=column_type(column.type),
        constraint=Sql("" if column.nullable else " NOT NULL"),
    )


def create_table(table: TableState) -> Sql:
    return Sql(
        _macros().create_table(
            table=table_name(table.schema, table.name),
            columns=[column_definition(c) for c in table.columns],
            primary_key=idents(table.primary_key),
        )
    )


def add_column(schema: str, table: str, column: ColumnState) -> Sql:
    return _call("add_column", table=table_name(schema, table), column=column_definition(column))


def alter_table_owner(schema: str, table: str, owner: str) -> Sql:
    return _call("alter_table_owner", table=table_name(schema, table), owner=ident(owner))


# -- privileges -------------------------------------------------------------------------
def on_table(schema: str, table: str) -> Sql:
    return Sql(f"TABLE {table_name(schema, table)}")


def on_schema(schema: str) -> Sql:
    return Sql(f"SCHEMA {ident(schema)}")


def grant(privileges: Sql, target: Sql, to: Sequence[Grantee]) -> Sql:
    return _call("grant", privileges=privileges, object=target, grantees=grantees(to))


def revoke(privileges: Sql, target: Sql, frm: Sequence[Grantee]) -> Sql:
    return _call("revoke", privileges=privileges, object=target, grantees=grantees(frm))


def revoke_grant_option(privileges: Sql, target: Sql, frm: Sequence[Grantee]) -> Sql:
    return _call(
        "revoke_grant_option", privileges=privileges, object=target, grantees=grantees(frm)
    )


# -- row-level security -----------------------------------------------------------------
def row_security(schema: str, table: str, action: str) -> Sql:
    """`action`: ENABLE, FORCE, DISABLE or NO FORCE."""
    return _call("row_security", table=table_name(schema, table), action=keyword(action))


def tenant_predicate(tenant_column: str, tenant: str) -> Sql:
    """The whole policy condition: the tenant column equals the tenant's own id, as a
    literal. No session variable, no function: nothing a session can SET changes it."""
    return _call("tenant_predicate", column=ident(tenant_column), tenant=literal(tenant))


def create_policy(policy: PolicyState, tenant_column: str) -> Sql:
    return _call(
        "create_policy",
        policy=ident(policy.name),
        table=table_name(policy.schema, policy.table),
        roles=idents(policy.roles),
        predicate=tenant_predicate(tenant_column, policy.tenant),
    )


def drop_policy(schema: str, table: str, policy: str, *, if_exists: bool = False) -> Sql:
    return _call(
        "drop_policy",
        policy=ident(policy),
        table=table_name(schema, table),
        if_exists=Sql("IF EXISTS " if if_exists else ""),
    )
