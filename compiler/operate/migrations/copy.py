"""The data of a migration: a logical copy of the tenant's rows, counted on both sides.

Each tenant-scoped table is copied with PostgreSQL's COPY, streamed from the old database to
the new one, in dependency order (a table after those its foreign keys reference). The
source is read in one snapshot, so its counts and its rows agree; each table lands in the
new database in a transaction of its own that first deletes whatever an interrupted
attempt left of the tenant's rows there, then counts what it loaded and compares it with the
source before it commits. A mismatch stops the migration with both counts, and the
switch does not happen. Running it again is always safe: that is what `--resume` does.

Tables that are not tenant-scoped hold data every tenant of a pool shares (reference
data); they are not the tenant's to move, and are named as not copied.

The sessions run with `row_security = off`: a login that row-level security would filter
gets an error instead of silently reading or writing no rows, so a copy never "succeeds"
with zero rows it could not see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from graphlib import TopologicalSorter

import psycopg
from psycopg import sql

from compiler.emit.sql.state import TableState
from compiler.errors import EnvironmentProblem, PaybillError
from compiler.sqlops.connect import connect, mask


class CountMismatch(PaybillError):
    """The rows loaded into the new home differ from the rows read from the old one."""

    exit_code = 4


@dataclass(frozen=True)
class Copied:
    table: str  # schema.name
    source: int  # rows read from the old home
    target: int  # rows in the new home after the copy


def qualified(table: TableState) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(table.schema), sql.Identifier(table.name))


def _where(column: str, tenant: str) -> sql.Composed:
    return sql.SQL(" WHERE {} = {}").format(sql.Identifier(column), sql.Literal(tenant))


def tenant_tables(tables: Iterable[TableState]) -> list[TableState]:
    return [t for t in tables if t.tenant_scoped]


def in_dependency_order(conn: psycopg.Connection, tables: Sequence[TableState]) -> list[TableState]:
    """`tables`, each after the ones its foreign keys reference (read from the catalog of
    the database at `conn`); ties by (schema, name)."""
    by_name = {f"{t.schema}.{t.name}": t for t in tables}
    rows = conn.execute(
        "SELECT cn.nspname || '.' || c.relname, fn.nspname || '.' || f.relname "
        "FROM pg_catalog.pg_constraint k "
        "JOIN pg_catalog.pg_class c ON c.oid = k.conrelid "
        "JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace "
        "JOIN pg_catalog.pg_class f ON f.oid = k.confrelid "
        "JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace "
        "WHERE k.contype = 'f'"
    ).fetchall()
    graph: dict[str, set[str]] = {name: set() for name in sorted(by_name)}
    for child, parent in rows:
        if child in graph and parent in by_name and parent != child:
            graph[child].add(parent)
    sorter = TopologicalSorter(graph)
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return [by_name[name] for name in order]


def copy_tenant(
    source_dsn: str, target_dsn: str, tables: Sequence[TableState], column: str, tenant: str
) -> list[Copied]:
    """Copy the tenant's rows of every table, counted on both sides; CountMismatch on the
    first table whose counts differ (tables before it stay copied: running again redoes
    them)."""
    out = []
    try:
        with connect(source_dsn) as source, connect(target_dsn) as target:
            source.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            source.read_only = True  # one snapshot: counts and rows agree
            target.autocommit = True  # each table in a transaction of its own
            source.execute("SET row_security = off")
            target.execute("SET row_security = off")
            for table in in_dependency_order(source, tenant_tables(tables)):
                out.append(_copy_table(source, target, table, column, tenant))
            source.rollback()
    except psycopg.Error as exc:
        raise EnvironmentProblem(
            f"copying tenant {tenant}'s rows from {mask(source_dsn)} to {mask(target_dsn)} "
            f"failed: {exc.diag.message_primary or exc}"
        ) from None
    return out


def _copy_table(
    source: psycopg.Connection,
    target: psycopg.Connection,
    table: TableState,
    column: str,
    tenant: str,
) -> Copied:
    name = qualified(table)
    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
    where = _where(column, tenant)
    count = sql.SQL("SELECT count(*) FROM {}").format(name) + where
    read = source.execute(count).fetchone()
    expected = int(read[0]) if read else 0
    with target.transaction():
        target.execute(sql.SQL("DELETE FROM {}").format(name) + where)
        out = sql.SQL("COPY (SELECT {} FROM {}{}) TO STDOUT").format(columns, name, where)
        into = sql.SQL("COPY {} ({}) FROM STDIN").format(name, columns)
        with source.cursor().copy(out) as reading, target.cursor().copy(into) as writing:
            for chunk in reading:
                writing.write(chunk)
        found = target.execute(count).fetchone()
        loaded = int(found[0]) if found else 0
        label = f"{table.schema}.{table.name}"
        if loaded != expected:
            raise CountMismatch(
                f"{label}: {expected} row(s) of tenant {tenant} in the old home, {loaded} in "
                "the new one after the copy; the migration stops before the switch (the "
                "table's copy is rolled back; 'paybill apply --resume' copies it again)"
            )
    return Copied(label, expected, loaded)
