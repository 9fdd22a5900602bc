"""Typed calls into templates/statements.sql.j2: names in, one quoted statement out.

This is where names from the spec are quoted (via `quote`) before a template lays them
out; the generated files (`render.py`) and `paybill sql apply` (`compiler.sqlops`) both
build their SQL here, so the two cannot drift apart in syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import jinja2

from compiler.emit.sql.quote import (
    WRAP_AT,
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
from compiler.emit.sql.state import ColumnState, DefaultState, PolicyState, TableState

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

# The expressions a column default may be (compiler.resolve.defaults checks the types), as
# they are written: schema-qualified, so that a caller's search_path cannot change them.
DEFAULT_EXPRESSIONS = {
    "now()": "pg_catalog.now()",
    "gen_random_uuid()": "pg_catalog.gen_random_uuid()",
    "current_date": "CURRENT_DATE",
}


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


def _call(macro: str, /, **kwargs: Sql) -> Sql:
    return Sql(getattr(_macros(), macro)(**kwargs))


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


def default_expression(column: ColumnState, default: DefaultState) -> Sql:
    """A literal with a cast to the column's type (`'0'::bigint`), or an allowed expression."""
    if default.kind == "expression":
        if default.value not in DEFAULT_EXPRESSIONS:
            raise ValueError(f"not an allowed default expression: {default.value!r}")
        return Sql(DEFAULT_EXPRESSIONS[default.value])
    return Sql(f"{literal(default.value)}::{column_type(column.type)}")


def column_definition(column: ColumnState) -> Sql:
    default = column.default
    return _call(
        "column_definition",
        column=ident(column.name),
        type=column_type(column.type),
        constraint=Sql("" if column.nullable else " NOT NULL"),
        default=Sql(f" DEFAULT {default_expression(column, default)}" if default else ""),
    )


def create_table(table: TableState) -> Sql:
    return Sql(
        _macros().create_table(
            table=table_name(table.schema, table.name),
            columns=[column_definition(c) for c in table.columns],
            primary_key=idents(table.primary_key),
        )
    )


def column_defaults(table: TableState) -> Sql:
    """Every column's default as the spec says: set, or dropped (one clause per line)."""
    clauses = [
        Sql(
            f"ALTER COLUMN {ident(c.name)} SET DEFAULT {default_expression(c, c.default)}"
            if c.default
            else f"ALTER COLUMN {ident(c.name)} DROP DEFAULT"
        )
        for c in table.columns
    ]
    return _call("alter_table", table=table_name(table.schema, table.name), clauses=spread(clauses))


def set_default(schema: str, table: str, column: ColumnState) -> Sql:
    clause = (
        f"SET DEFAULT {default_expression(column, column.default)}"
        if column.default
        else "DROP DEFAULT"
    )
    return _call(
        "alter_table",
        table=table_name(schema, table),
        clauses=Sql(f" ALTER COLUMN {ident(column.name)} {clause}"),
    )


def replace_primary_key(schema: str, table: str, constraint: str, columns: Sequence[str]) -> Sql:
    """Drop the key constraint and add the spec's key, in one statement."""
    return _call(
        "alter_table",
        table=table_name(schema, table),
        clauses=spread(
            [
                Sql(f"DROP CONSTRAINT {ident(constraint)}"),
                Sql(f"ADD PRIMARY KEY ({idents(columns)})"),
            ]
        ),
    )


def ensure_primary_keys(tables: Sequence[TableState]) -> Sql:
    """For the files: widen an existing table's key to the spec's when the spec's only adds
    columns to it (the tenant column: that cannot fail on the rows); otherwise leave it,
    with a warning."""
    keys = spread(
        (
            Sql(f"({literal(table_name(t.schema, t.name))}, {text_array(t.primary_key)})")
            for t in tables
        ),
        indent=_BLOCK,
    )
    return _call("ensure_primary_keys", keys=keys)


def drop_index(schema: str, index: str) -> Sql:
    return _call("drop_index", index=table_name(schema, index))


def create_index(table: TableState, name: str, columns: Sequence[str]) -> Sql:
    return _call(
        "create_index",
        index=ident(name),
        table=table_name(table.schema, table.name),
        columns=idents(columns),
    )


def add_column(schema: str, table: str, column: ColumnState) -> Sql:
    return _call("add_column", table=table_name(schema, table), column=column_definition(column))


def alter_table_owner(schema: str, table: str, owner: str) -> Sql:
    return _call("alter_table_owner", table=table_name(schema, table), owner=ident(owner))


def alter_function_owner(signature: Sql, owner: str) -> Sql:
    return _call("alter_function_owner", function=signature, owner=ident(owner))


def drop_function(signature: Sql) -> Sql:
    return _call("drop_function", function=signature)


# -- the database and the apply lock -----------------------------------------------------
_SETTING_NAME = re.compile(r"^[a-z_]+$")


def database_setting(database: str, name: str, value: str) -> Sql:
    """`ALTER DATABASE "db" SET name = 'value'` (`paybill sql apply` knows the name)."""
    return _call(
        "database_setting", database=ident(database), name=_setting(name), value=literal(value)
    )


def current_database_setting(name: str, value: str) -> Sql:
    """The same for the files, which do not know the database's name."""
    return _call("current_database_setting", name=_setting(name), value=literal(value))


def _setting(name: str) -> Sql:
    if not _SETTING_NAME.match(name):
        raise ValueError(f"not a setting name: {name!r}")
    return Sql(name)


def lock_timeout(seconds: float) -> Sql:
    milliseconds = max(1, round(seconds * 1000))
    return _call("set_local", name=Sql("lock_timeout"), value=literal(f"{milliseconds}ms"))


def lock_table(schema: str, table: str) -> Sql:
    return _call("lock_table", table=table_name(schema, table))


# -- paybill's own rows --------------------------------------------------------------------
Value = str | int | bool | None | Sequence[str]


def value(item: Value) -> Sql:
    """A value of paybill's own tables: text, a whole number, a flag, NULL, a text array."""
    if item is None:
        return Sql("NULL")
    if isinstance(item, bool):
        return Sql("true" if item else "false")
    if isinstance(item, int):
        return Sql(str(item))
    if isinstance(item, str):
        return literal(item)
    return text_array(item)


def text_array(items: Sequence[str]) -> Sql:
    """`ARRAY['a', 'b']::text[]`, continued one item per line when long."""
    inline = join(literal(i) for i in items)
    if len(inline) <= WRAP_AT:
        return Sql(f"ARRAY[{inline}]::text[]")
    return Sql(f"ARRAY[{spread((literal(i) for i in items), indent=_BLOCK)}]::text[]")


def upsert(
    schema: str,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Value]],
    key: str,
    *,
    only_if_same: str | None = None,
) -> Sql:
    """INSERT ... ON CONFLICT (key) DO UPDATE, one row per line. With `only_if_same`, an
    existing row is changed only when that column already has the new value."""
    updates = spread(Sql(f"{ident(c)} = EXCLUDED.{ident(c)}") for c in columns if c != key)
    guard = ""
    if only_if_same is not None:
        guard = f"\nWHERE t.{ident(only_if_same)} = EXCLUDED.{ident(only_if_same)}"
    return _call(
        "upsert",
        table=table_name(schema, table),
        columns=idents(columns),
        rows=Sql("".join(f"\n  ({join(value(v) for v in row)})," for row in rows).rstrip(",")),
        key=ident(key),
        updates=Sql(updates + guard),
    )


def delete_rows(schema: str, table: str, where: Sequence[tuple[str, Value]]) -> Sql:
    """DELETE the rows where each column equals its value (a list: is one of them)."""
    conditions = [
        Sql(f"{ident(column)} = ANY ({value(v)})")
        if isinstance(v, list | tuple)
        else Sql(f"{ident(column)} = {value(v)}")
        for column, v in where
    ]
    return _call("delete_rows", table=table_name(schema, table), where=join(conditions, " AND "))


def keep_rows(
    schema: str, table: str, scope: tuple[str, str] | None, key: str, keep: Sequence[str]
) -> Sql:
    """DELETE the rows (of `scope`: column, value) whose key is not in `keep`."""
    conditions = [] if scope is None else [Sql(f"{ident(scope[0])} = {literal(scope[1])}")]
    conditions.append(Sql(f"{ident(key)} <> ALL ({text_array(keep)})"))
    return _call("delete_rows", table=table_name(schema, table), where=join(conditions, " AND "))


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


CALLER_TENANT = Sql(
    '(SELECT a."tenant" FROM "paybill"."agents" AS a WHERE a."role" = "paybill"."caller_role"())'
)


def caller_predicate(tenant_column: str) -> Sql:
    """The steps role's condition: the tenant column equals the tenant of the agent calling
    the step function, read from the session's role, which no session can forge (SET ROLE
    needs membership). A scalar subquery, so it is read once per statement."""
    return _call("tenant_predicate", column=ident(tenant_column), tenant=CALLER_TENANT)


def create_policy(policy: PolicyState, tenant_column: str) -> Sql:
    predicate = (
        caller_predicate(tenant_column)
        if policy.bound == "caller"
        else tenant_predicate(tenant_column, policy.tenant)
    )
    return _call(
        "create_policy",
        policy=ident(policy.name),
        table=table_name(policy.schema, policy.table),
        roles=grantees(policy.roles),
        predicate=predicate,
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


# -- functions -----------------------------------------------------------------------------
# What a function is, beyond its body, as one text computed from pg_proc: each argument's
# mode (i: input, t: a column of RETURNS TABLE), name and type, then the result type, and
# its SHA-256 in hex (`functions.Function.shape_digest`), to keep lines short. Two
# functions of one name and shape can be replaced one by the other (CREATE OR REPLACE);
# otherwise the old one is dropped first. With search_path = pg_catalog, types of paybill's
# schemas print qualified (`paybill.agents`).
FUNCTION_SHAPE = Sql(
    """pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.array_to_string(ARRAY(
        SELECT COALESCE(p.proargmodes[k.i]::text, 'i') || ':' || COALESCE(p.proargnames[k.i], '')
               || ':' || pg_catalog.format_type(k.t, NULL)
        FROM pg_catalog.unnest(COALESCE(p.proallargtypes, p.proargtypes::pg_catalog.oid[]))
             WITH ORDINALITY AS k(t, i)
        ORDER BY k.i), ',')
      || '->' || pg_catalog.format_type(p.prorettype, NULL)
      || CASE WHEN p.proretset THEN ' setof' ELSE '' END, 'UTF8')), 'hex')"""
)


def keep_functions(schemas: Sequence[str], keep: Sequence[tuple[str, str, str]]) -> Sql:
    """Drop every function of `schemas` that is not one of `keep` ((schema, name, shape)):
    what the spec no longer has, and old versions whose shape changed."""
    rows = spread(
        (Sql(f"({literal(a)}, {literal(b)}, {literal(c)})") for a, b, c in sorted(keep)),
        indent=_BLOCK,
    )
    return _call(
        "keep_functions", schemas=_literals(sorted(schemas)), shape=FUNCTION_SHAPE, keep=rows
    )
