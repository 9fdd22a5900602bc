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

from compiler.emit.sql.quote import (
    Sql,
    column_type,
    ident,
    idents,
    join,
    keyword,
    literal,
    spread,
    wrapped,
)
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


def grantees(names: Sequence[Grantee], *, more: bool = False) -> Sql:
    """PUBLIC or quoted role names, laid out by `spread` (one per line when several)."""
    return spread((Sql("PUBLIC") if n is None else ident(n) for n in names), more=more)


def table_name(schema: str, table: str) -> Sql:
    return Sql(f"{ident(schema)}.{ident(table)}")


def privilege_clause(
    privilege: str, columns: Sequence[str] | None = None, *, wrap: bool = False
) -> Sql:
    """`SELECT ("a", "b")` for columns, `DELETE` for the whole table. With `wrap`, a long
    column list continues on further lines (for files people review)."""
    word = keyword(privilege)
    if columns is None:
        return word
    return Sql(f"{word} ({wrapped(columns) if wrap else idents(columns)})")


def privileges_clause(clauses: Sequence[Sql]) -> Sql:
    """Several privileges on one line, as messages show them."""
    return join(clauses)


Privileges = Sql | Sequence[Sql]  # one clause, or several laid out one per line


def _privileges(privileges: Privileges) -> Sql:
    """The privilege list of GRANT/REVOKE, with its surrounding separators."""
    if isinstance(privileges, Sql):
        return Sql(f" {privileges} ")
    return spread(privileges, more=True) if len(privileges) > 1 else Sql(f" {privileges[0]} ")


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
    return _call("grant_membership", group=ident(group), members=grantees(members))


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


def on_all_tables(schema: str) -> Sql:
    """Every table, view and foreign table of a schema, whoever made it."""
    return Sql(f"ALL TABLES IN SCHEMA {ident(schema)}")


def grant(privileges: Privileges, target: Sql, to: Sequence[Grantee]) -> Sql:
    return _call("grant", privileges=_privileges(privileges), object=target, grantees=grantees(to))


def revoke(privileges: Privileges, target: Sql, frm: Sequence[Grantee]) -> Sql:
    return _call(
        "revoke",
        privileges=_privileges(privileges),
        object=target,
        grantees=grantees(frm, more=True),
    )


def revoke_grant_option(privileges: Privileges, target: Sql, frm: Sequence[Grantee]) -> Sql:
    return _call(
        "revoke_grant_option",
        privileges=_privileges(privileges),
        object=target,
        grantees=grantees(frm, more=True),
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
        roles=grantees(policy.roles),
        predicate=tenant_predicate(tenant_column, policy.tenant),
    )


def drop_policy(schema: str, table: str, policy: str, *, if_exists: bool = False) -> Sql:
    return _call(
        "drop_policy",
        policy=ident(policy),
        table=table_name(schema, table),
        if_exists=Sql("IF EXISTS " if if_exists else ""),
    )


# -- a tenant's part of a target ---------------------------------------------------------
_BLOCK = " " * 8  # lists inside the DO blocks below


def _literals(texts: Sequence[str]) -> Sql:
    return spread((literal(t) for t in texts), indent=_BLOCK)


def keep_memberships(memberships: Sequence[tuple[str, str]]) -> Sql:
    """Revoke every membership of the members named in `memberships` ((group, member)
    pairs) that is not one of them, and any ADMIN OPTION on those that are: the files
    converge memberships as `paybill sql apply` does."""
    members = sorted({member for _, member in memberships})
    pairs = spread(
        (Sql(f"({literal(g)}, {literal(m)})") for g, m in sorted(memberships)), indent=_BLOCK
    )
    return _call("keep_memberships", members=_literals(members), desired=pairs)


def retire_roles(marker: str, keep: Sequence[str], schemas: Sequence[str]) -> Sql:
    """Drop the roles marked with `marker` that are not in `keep`, after revoking what they
    hold in `schemas`: a tenant's file retires the roles the tenant no longer has."""
    return _call(
        "retire_roles",
        marker=literal(marker),
        keep=_literals(sorted(keep)),
        schemas=_literals(sorted(schemas)),
    )
