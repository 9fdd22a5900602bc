"""Schemas, tables, columns, keys and indexes: created when missing, never dropped (but an
index paybill made and no longer wants)."""

from __future__ import annotations

from collections.abc import Sequence

from compiler.emit.sql.quote import Sql, column_type, ident, idents, literal, spread
from compiler.emit.sql.state import ColumnState, DefaultState, TableState
from compiler.emit.sql.statements.template import BLOCK, call, macros, table_name, text_array

# The expressions a column default may be (compiler.resolve.defaults checks the types), as
# they are written: schema-qualified, so that a caller's search_path cannot change them.
DEFAULT_EXPRESSIONS = {
    "now()": "pg_catalog.now()",
    "gen_random_uuid()": "pg_catalog.gen_random_uuid()",
    "current_date": "CURRENT_DATE",
}


def create_schema(schema: str, owner: str) -> Sql:
    return call("create_schema", schema=ident(schema), owner=ident(owner))


def alter_schema_owner(schema: str, owner: str) -> Sql:
    return call("alter_schema_owner", schema=ident(schema), owner=ident(owner))


def default_expression(column: ColumnState, default: DefaultState) -> Sql:
    """A literal with a cast to the column's type (`'0'::bigint`), or an allowed expression."""
    if default.kind == "expression":
        if default.value not in DEFAULT_EXPRESSIONS:
            raise ValueError(f"not an allowed default expression: {default.value!r}")
        return Sql(DEFAULT_EXPRESSIONS[default.value])
    return Sql(f"{literal(default.value)}::{column_type(column.type)}")


def column_definition(column: ColumnState) -> Sql:
    default = column.default
    return call(
        "column_definition",
        column=ident(column.name),
        type=column_type(column.type),
        constraint=Sql("" if column.nullable else " NOT NULL"),
        default=Sql(f" DEFAULT {default_expression(column, default)}" if default else ""),
    )


def create_table(table: TableState) -> Sql:
    return Sql(
        macros().create_table(
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
    return call("alter_table", table=table_name(table.schema, table.name), clauses=spread(clauses))


def set_default(schema: str, table: str, column: ColumnState) -> Sql:
    clause = (
        f"SET DEFAULT {default_expression(column, column.default)}"
        if column.default
        else "DROP DEFAULT"
    )
    return call(
        "alter_table",
        table=table_name(schema, table),
        clauses=Sql(f" ALTER COLUMN {ident(column.name)} {clause}"),
    )


def replace_primary_key(schema: str, table: str, constraint: str, columns: Sequence[str]) -> Sql:
    """Drop the key constraint and add the spec's key, in one statement."""
    return call(
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
        indent=BLOCK,
    )
    return call("ensure_primary_keys", keys=keys)


def drop_index(schema: str, index: str) -> Sql:
    return call("drop_index", index=table_name(schema, index))


def create_index(table: TableState, name: str, columns: Sequence[str]) -> Sql:
    return call(
        "create_index",
        index=ident(name),
        table=table_name(table.schema, table.name),
        columns=idents(columns),
    )


def add_column(schema: str, table: str, column: ColumnState) -> Sql:
    return call("add_column", table=table_name(schema, table), column=column_definition(column))


def alter_table_owner(schema: str, table: str, owner: str) -> Sql:
    return call("alter_table_owner", table=table_name(schema, table), owner=ident(owner))
