"""Retiring an old home in a pool: the tenant's rows dumped to a file that is kept, then
deleted from the pool's database.

The dump is what a final snapshot is for a database of its own: the tenant's rows as they
were when it left, restorable with `psql -f` (each table a `COPY ... FROM stdin` block, as
`pg_dump --data-only` writes them). It is read in one snapshot and written whole before a
single transaction deletes the rows, so an interrupted retirement either deleted nothing
(and runs again) or everything (and the dump is already there: it is never overwritten by
an empty one).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from compiler.emit.sql.state import TableState
from compiler.errors import EnvironmentProblem
from compiler.operate.migrations.copy import in_dependency_order, qualified, tenant_tables
from compiler.sqlops.connect import connect, mask


def retire_pooled(
    dsn: str, tables: Sequence[TableState], column: str, tenant: str, dump: Path
) -> str:
    """Dump the tenant's rows of the pool's database at `dsn` to `dump`, then delete them.
    What was done, for the journal."""
    try:
        with connect(dsn) as conn:
            conn.execute("SET row_security = off")
            ordered = in_dependency_order(conn, tenant_tables(tables))
            where = sql.SQL(" WHERE {} = {}").format(sql.Identifier(column), sql.Literal(tenant))
            counts = [_count(conn, t, where) for t in ordered]
            if not any(counts) and dump.is_file():
                return f"nothing left to delete; the dump is kept at {dump}"
            _write_dump(conn, ordered, where, dump)
            for table in reversed(ordered):  # children first
                conn.execute(sql.SQL("DELETE FROM {}").format(qualified(table)) + where)
            conn.commit()
    except psycopg.Error as exc:
        raise EnvironmentProblem(
            f"retiring tenant {tenant}'s rows in {mask(dsn)} failed: "
            f"{exc.diag.message_primary or exc}"
        ) from None
    return f"{sum(counts)} row(s) dumped to {dump} (kept) and deleted from the old home"


def _count(conn: psycopg.Connection, table: TableState, where: sql.Composed) -> int:
    found = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(qualified(table)) + where)
    row = found.fetchone()
    return int(row[0]) if row else 0


def _write_dump(
    conn: psycopg.Connection, tables: Sequence[TableState], where: sql.Composed, dump: Path
) -> None:
    """Every table's rows as a `COPY ... FROM stdin` block; written to a scratch file and
    moved into place, so a dump is never half there."""
    dump.parent.mkdir(parents=True, exist_ok=True)
    scratch = dump.with_name(f"{dump.name}.{os.getpid()}")
    with scratch.open("wb") as out:
        for table in tables:
            columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
            header = sql.SQL("COPY {} ({}) FROM stdin;\n").format(qualified(table), columns)
            out.write(header.as_string(conn).encode())
            query = sql.SQL("COPY (SELECT {} FROM {}{}) TO STDOUT").format(
                columns, qualified(table), where
            )
            with conn.cursor().copy(query) as reading:
                for chunk in reading:
                    out.write(bytes(chunk))
            out.write(b"\\.\n\n")
    os.replace(scratch, dump)
