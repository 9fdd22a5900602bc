"""A real PostgreSQL server for the tests: started once per session, stopped at the end.

The server is `compiler.sandbox.postgres` (the sandbox's own): a fresh `initdb` in a
temporary folder, 127.0.0.1 on a free port, socket in that folder, fsync off, trusting
local connections, stopped by its postmaster's PID, so no server is left running after the
session, even when a test fails.

Each test gets fresh databases (`pg.new()`), and afterwards every role the test created is
dropped: roles are cluster-wide, so a test that drops a role must not find it still holding
privileges in another test's database.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from compiler.sandbox.postgres import (
    HOW_TO_INSTALL,
    SUPERUSER,
    LocalPostgres,
    find_bin_dir,
    start_postgres,
)
from tests.support.tools import missing


@contextlib.contextmanager
def running_server() -> Iterator[LocalPostgres]:
    """A server in a temporary folder for the duration of the block (benchmarks use this)."""
    folder = Path(tempfile.mkdtemp(prefix="paybill-pg-"))
    server = start_postgres(folder)
    try:
        yield server
    finally:
        server.stop(remove_data=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    if find_bin_dir() is None:
        missing("PostgreSQL server binaries (initdb, postgres)", HOW_TO_INSTALL)
    with running_server() as server:
        yield server


@dataclass(frozen=True)
class Database:
    """One fresh database of the session's server."""

    server: LocalPostgres
    name: str

    @property
    def dsn(self) -> str:
        return self.server.dsn(self.name)

    def connect(
        self, user: str = SUPERUSER, autocommit: bool = True
    ) -> psycopg.Connection[tuple[object, ...]]:
        return self.server.connect(self.name, user, autocommit)


@dataclass
class Databases:
    """Fresh databases for one test: `pg.new()`; all dropped afterwards, with every role
    created meanwhile."""

    server: LocalPostgres
    prefix: str
    made: list[str]

    def new(self, label: str = "") -> Database:
        name = f"{self.prefix}_{len(self.made)}{'_' + label if label else ''}"[:63]
        name = _SAFE.sub("_", name.lower())
        with self.server.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.made.append(name)
        return Database(self.server, name)


_SAFE = re.compile(r"[^a-z0-9_]")


@pytest.fixture
def pg(postgres_server: LocalPostgres, request: pytest.FixtureRequest) -> Iterator[Databases]:
    prefix = "t_" + _SAFE.sub("_", request.node.name.lower())[:40]
    with postgres_server.connect() as conn:
        before = _roles(conn)
    databases = Databases(postgres_server, prefix, [])
    try:
        yield databases
    finally:
        with postgres_server.connect() as conn:
            for name in databases.made:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            for role in sorted(_roles(conn) - before):
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _roles(conn: psycopg.Connection[tuple[object, ...]]) -> set[str]:
    rows = conn.execute("SELECT rolname FROM pg_catalog.pg_roles").fetchall()
    return {str(row[0]) for row in rows}
