"""Calling step functions in tests: raw SQL, no runtime, so that what is proven is the
database's doing. Rows are read and checked as a superuser (no row-level security)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from compiler.acl import names
from compiler.emit.sql.state import StepState, TableState, TargetState
from compiler.runtime.arguments import call_arguments, canonical_json, tool_arguments
from tests.sqlops.live import Conn, sample
from tests.support.postgres import Database


class Refused(Exception):
    pass


def function(step: StepState) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(names.API_SCHEMA), sql.Identifier(step.function))


def api(name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(names.API_SCHEMA), sql.Identifier(name))


def call(conn: Conn, query: sql.Composable, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run one call in its own transaction; a refusal (PB403) is raised as Refused."""
    try:
        with conn.transaction():
            return conn.execute(query, params).fetchall()
    except psycopg.Error as error:
        if error.sqlstate == names.REFUSED_SQLSTATE:
            raise Refused(error.diag.message_primary) from None
        raise


def start(conn: Conn, workflow: str) -> Any:
    return call(conn, sql.SQL("SELECT {}(%s)").format(api(names.START_RUN)), [workflow])[0][0]


def finish(conn: Conn, run: Any) -> str:
    return str(call(conn, sql.SQL("SELECT {}(%s)").format(api(names.FINISH_RUN)), [run])[0][0])


def approve(conn: Conn, run: Any, step: str, arguments: object, by: str = "a person") -> None:
    """Approve one call of `step` in `run` with `arguments`: a query step's parameters (`run`
    aside) by name; a tool's arguments (written as compiler.runtime writes them)."""
    call(
        conn,
        sql.SQL("SELECT {}(%s, %s, %s, %s, interval '1 hour')").format(api(names.APPROVE)),
        [run, step, Jsonb(arguments, dumps=canonical_json), by],
    )


def table_of(state: TargetState, step: StepState) -> TableState:
    return next(t for t in state.tables if (t.schema, t.name) == (step.schema, step.table))


def name(table: TableState) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(table.schema), sql.Identifier(table.name))


def adapt(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict | list) else value


def rows_of(
    db: Database, state: TargetState, table: TableState, tenant: str
) -> list[dict[str, Any]]:
    """A tenant's rows of a table, typed, in key order (as a superuser)."""
    query = sql.SQL("SELECT * FROM {} WHERE {} = %s ORDER BY {}").format(
        name(table),
        sql.Identifier(state.tenant_column),
        sql.SQL(", ").join(sql.Identifier(c) for c in table.primary_key),
    )
    with db.connect() as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cursor:
        return cursor.execute(query, [tenant]).fetchall()


def matching(
    db: Database,
    table: TableState,
    columns: list[str],
    where: dict[str, Any],
    tenant_column: str,
    tenant: str,
) -> list[tuple[Any, ...]]:
    """What a step's statement should see: the tenant's rows equal on every where-column."""
    conditions = [sql.SQL("{} = %s").format(sql.Identifier(tenant_column))]
    params: list[Any] = [tenant]
    for column, value in where.items():
        conditions.append(sql.SQL("{} IS NOT DISTINCT FROM %s").format(sql.Identifier(column)))
        params.append(adapt(value))
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY 1").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns) if columns else sql.SQL("1"),
        name(table),
        sql.SQL(" AND ").join(conditions),
    )
    with db.connect() as conn:
        return conn.execute(query, params).fetchall()


@dataclass
class Call:
    """One call of a step function: its statement and its parameters."""

    query: sql.Composable
    params: list[Any]


def step_call(
    step: StepState,
    run: Any,
    where: dict[str, Any],
    values: dict[str, Any],
    *,
    one_each: bool = True,
) -> Call:
    """A call with one value per where-column (as a one-element array; without `one_each`,
    `where` gives each column's array) and the given values (an update's scalars, an
    insert's one-element arrays)."""
    params: list[Any] = [run]
    arguments = [sql.SQL("{} => %s").format(sql.Identifier(names.RUN_PARAMETER))]
    if step.operation == "tool" and step.approval:
        arguments.append(sql.SQL("{} => %s").format(sql.Identifier("arguments")))
        params.append(Jsonb(tool_arguments(), dumps=canonical_json))
    if step.operation in ("update", "insert"):
        for column in step.columns:
            if column.name == step.tenant_column:
                continue
            arguments.append(sql.SQL("{} => %s").format(sql.Identifier(column.name)))
            value = values[column.name]
            params.append([adapt(value)] if step.operation == "insert" else adapt(value))
    for column in step.where:
        arguments.append(
            sql.SQL("{} => %s").format(sql.Identifier(names.where_parameter(column.name)))
        )
        given = where[column.name]
        params.append([adapt(given)] if one_each else [adapt(v) for v in given])
    call_ = sql.SQL("{}({})").format(function(step), sql.SQL(", ").join(arguments))
    if step.operation == "select":
        return Call(sql.SQL("SELECT * FROM {} ORDER BY 1").format(call_), params)
    return Call(sql.SQL("SELECT {}").format(call_), params)


def approved_arguments(
    step: StepState, where: dict[str, Any], values: dict[str, Any], *, one_each: bool = True
) -> object:
    """What an approval of the call `step_call` makes must name: the same arguments."""
    if step.operation == "tool":
        return tool_arguments()
    given = {c: ([v] if step.operation == "insert" else v) for c, v in values.items()}
    given = {c: v for c, v in given.items() if c != step.tenant_column}
    arrays = {c: ([v] if one_each else list(v)) for c, v in where.items()}
    return call_arguments(where=arrays, values=given)


def fresh_values(step: StepState, tenant: str, seq: int) -> dict[str, Any]:
    """New values for an update's or insert's columns, as text PostgreSQL casts."""
    return {c.name: sample(c.type, tenant, seq, seq) for c in step.columns}
