"""Rows of paybill's own tables (tenants, agents, workflows): written with upserts, and the
rows the spec no longer has deleted."""

from __future__ import annotations

from collections.abc import Sequence

from compiler.emit.sql.quote import Sql, comment, ident, idents, join, literal, spread, wrapped
from compiler.emit.sql.statements.template import call, table_name, text_array

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


def upsert(
    schema: str,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Value]],
    key: str,
    *,
    only_if_same: str | None = None,
) -> Sql:
    """INSERT ... ON CONFLICT (key) DO UPDATE, one row per line; a single row, one value per
    line with its column named beside it (a reviewer sees which limit changed). With
    `only_if_same`, an existing row is changed only when that column already has the new
    value."""
    updates = spread(Sql(f"{ident(c)} = EXCLUDED.{ident(c)}") for c in columns if c != key)
    guard = ""
    if only_if_same is not None:
        guard = f"\nWHERE t.{ident(only_if_same)} = EXCLUDED.{ident(only_if_same)}"
    if len(rows) == 1 and len(columns) > 3:
        values = [value(v) for v in rows[0]]
        lines = [
            f"\n  {v}{',' if i < len(values) - 1 else ''} -- {comment(c)}"
            for i, (v, c) in enumerate(zip(values, columns, strict=True))
        ]
        body = Sql(" (" + "".join(lines) + "\n)")
    else:
        body = Sql("".join(f"\n  ({join(value(v) for v in row)})," for row in rows).rstrip(","))
    return call(
        "upsert",
        table=table_name(schema, table),
        columns=_column_list(columns),
        rows=body,
        key=ident(key),
        updates=Sql(updates + guard),
    )


def _column_list(columns: Sequence[str]) -> Sql:
    """The columns on the statement's line, or from the next line on when they are many."""
    inline = idents(columns)
    if len(inline) <= 60:
        return inline
    return Sql("\n    " + wrapped(columns, indent="    "))


def delete_rows(schema: str, table: str, where: Sequence[tuple[str, Value]]) -> Sql:
    """DELETE the rows where each column equals its value (a list: is one of them)."""
    conditions = [
        Sql(f"{ident(column)} = ANY ({value(v)})")
        if isinstance(v, list | tuple)
        else Sql(f"{ident(column)} = {value(v)}")
        for column, v in where
    ]
    return call("delete_rows", table=table_name(schema, table), where=join(conditions, " AND "))


def keep_rows(
    schema: str, table: str, scope: tuple[str, str] | None, key: str, keep: Sequence[str]
) -> Sql:
    """DELETE the rows (of `scope`: column, value) whose key is not in `keep`."""
    conditions = [] if scope is None else [Sql(f"{ident(scope[0])} = {literal(scope[1])}")]
    conditions.append(Sql(f"{ident(key)} <> ALL ({text_array(keep)})"))
    return call("delete_rows", table=table_name(schema, table), where=join(conditions, " AND "))
