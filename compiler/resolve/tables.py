"""Tables: unique columns, a primary key, the tenant column where rows belong to tenants, and
defaults that fit their columns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from compiler.dsl import Parsed, ParsedSpec
from compiler.dsl.table import Column, Table
from compiler.errors import Location
from compiler.resolve import model
from compiler.resolve.context import Context
from compiler.resolve.defaults import DefaultError, column_default

# The tenant column holds the tenant's name (policies compare it with a literal), so text.
_TENANT_COLUMN_TYPE = re.compile(r"^(text|varchar\(([0-9]+)\))$")
_TENANT_NAME_MAX = 40
# paybill keeps its own tables and functions in schemas named paybill*; PostgreSQL refuses pg_*.
RESERVED_SCHEMA_PREFIXES = ("paybill", "pg_")


@dataclass(frozen=True, slots=True)
class PreviousTable:
    """A table as the previous output's SQL state has it: its columns (they may hold rows)."""

    columns: frozenset[str]
    location: Location  # the state file it was read from


def resolve_tables(ctx: Context) -> tuple[model.Table, ...]:
    tenant_column = ctx.spec.platform.model.spec.database.tenant_column
    out: list[model.Table] = []
    for name, doc in sorted(ctx.spec.tables.items()):
        spec = doc.model.spec
        seen: set[str] = set()
        for index, column in enumerate(spec.columns):
            if column.name in seen:
                ctx.error(
                    doc,
                    ("spec", "columns", index, "name"),
                    f"column '{column.name}' is defined twice",
                )
            seen.add(column.name)
        if not any(c.primary_key for c in spec.columns):
            ctx.error(
                doc,
                ("spec", "columns"),
                "table has no primary key",
                "mark the identifying column with 'primaryKey: true'",
            )
        _check_schema(ctx, doc)
        by_name = {c.name: (i, c) for i, c in enumerate(spec.columns)}
        if spec.tenant_scoped:
            found = by_name.get(tenant_column)
            if found is None:
                ctx.error(
                    doc,
                    ("spec", "columns"),
                    f"tenant-scoped table has no '{tenant_column}' column",
                    f"add '- {{name: {tenant_column}, type: text}}' or set 'tenantScoped: false' "
                    "for data shared by all tenants",
                )
            else:
                index, column = found
                match = _TENANT_COLUMN_TYPE.match(column.type)
                too_short = match and match.group(2) and int(match.group(2)) < _TENANT_NAME_MAX
                if not match or too_short:
                    ctx.error(
                        doc,
                        ("spec", "columns", index, "type"),
                        f"the tenant column '{tenant_column}' must be text "
                        f"(it holds tenant names), not {column.type}",
                    )
                if column.nullable:
                    ctx.error(
                        doc,
                        ("spec", "columns", index, "nullable"),
                        f"the tenant column '{tenant_column}' cannot be nullable",
                        "a row without a tenant would be invisible to every tenant",
                    )
                if column.default is not None:
                    ctx.error(
                        doc,
                        ("spec", "columns", index, "default"),
                        f"the tenant column '{tenant_column}' takes no default",
                        "every row names its tenant; remove 'default'",
                    )
        out.append(
            model.Table(
                name=name,
                schema=spec.db_schema,
                tenant_scoped=spec.tenant_scoped,
                columns=tuple(
                    model.Column(
                        c.name,
                        c.type,
                        c.primary_key,
                        c.nullable,
                        c.pii,
                        _default(ctx, doc, index, c),
                    )
                    for index, c in enumerate(spec.columns)
                ),
            )
        )
    return tuple(out)


def _check_schema(ctx: Context, doc: Parsed[Table]) -> None:
    schema = doc.model.spec.db_schema
    if schema.startswith(RESERVED_SCHEMA_PREFIXES):
        ctx.error(
            doc,
            ("spec", "schema"),
            f"schema '{schema}' is reserved: paybill keeps its own tables and functions in "
            "schemas named paybill*, and PostgreSQL refuses names starting with pg_",
            "choose another schema name",
        )


def _default(
    ctx: Context, doc: Parsed[Table], index: int, column: Column
) -> model.ColumnDefault | None:
    try:
        return column_default(column.type, column.default)
    except DefaultError as error:
        ctx.error(
            doc,
            ("spec", "columns", index, "default"),
            f"default of column '{column.name}': {error}",
            error.hint,
        )
        return None


def tables_of(spec: ParsedSpec) -> dict[tuple[str, str], PreviousTable]:
    """(schema, table) -> its columns, as a base revision of the spec declares them: a
    table there may hold rows, so a column added to it meets them (`validate --base`)."""
    return {
        (doc.model.spec.db_schema, name): PreviousTable(
            frozenset(c.name for c in doc.model.spec.columns), doc.source.at("metadata", "name")
        )
        for name, doc in spec.tables.items()
    }


def check_added_columns(
    ctx: Context,
    tables: Mapping[str, model.Table],
    previous: Mapping[tuple[str, str], PreviousTable],
) -> None:
    """A column that is new in a table the previous output already had, NOT NULL and without
    a default, cannot be added to a table holding rows: PostgreSQL would refuse it at apply
    time ("contains null values"). Say so now, at the column."""
    for name, table in sorted(tables.items()):
        before = previous.get((table.schema, table.name))
        if before is None:
            continue
        doc = ctx.spec.tables[name]
        for index, column in enumerate(table.columns):
            if column.name in before.columns or column.nullable or column.default is not None:
                continue
            ctx.error(
                doc,
                ("spec", "columns", index),
                f"column '{column.name}' is new, NOT NULL and has no default, but table "
                f"'{table.schema}.{table.name}' already exists ({before.location.file}): the "
                "rows it holds would have no value for it",
                f"add a 'default' of type {column.type}, or 'nullable: true', or add the "
                "column as nullable first and make it NOT NULL in a migration once every row "
                "has a value",
            )
