"""A real PostgreSQL server for the tests: started once per session, stopped at the end.

The server runs from a fresh `initdb` in a temporary folder, listens on 127.0.0.1 on a free
port with its socket in that folder, trusts local connections (nothing else can reach it)
and runs with fsync off. It is stopped by signalling its postmaster PID, so no server is
left running after the session, even when a test fails.

initdb refuses to run as root, so as root the server runs as the `postgres` user.

Each test gets fresh databases (`pg.new()`), and afterwards every role the test created is
dropped: roles are cluster-wide, so a test that drops a role must not find it still holding
privileges in another test's database.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.support.tools import missing

SEARCH = "/usr/lib/postgresql/*/bin"
PREFERRED_MAJOR = "15"
HOW = (
    "install the PostgreSQL server (scripts/ensure-postgres.sh, or apt-get install -y "
    "postgresql), or point PAYBILL_PG_BIN at a folder holding initdb and postgres"
)
SUPERUSER = "postgres"
_START_TIMEOUT = 30.0


def find_bin_dir() -> Path | None:
    """PAYBILL_PG_BIN, else PostgreSQL 15 under /usr/lib/postgresql, else the newest there."""
    override = os.environ.get("PAYBILL_PG_BIN")
    candidates = [Path(override)] if override else []
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: (p.parent.name != PREFERRED_MAJOR, -_major(p.parent.name)),
    )
    candidates.extend(found)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _major(name: str) -> int:
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server; `dsn()` connects as the superuser to a database."""

    bin_dir: Path
    root: Path
    port: int
    process: subprocess.Popen[bytes]

    def dsn(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        return f"host=127.0.0.1 port={self.port} user={user} dbname={dbname}"

    def connect(
        self, dbname: str = "postgres", user: str = SUPERUSER, autocommit: bool = True
    ) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.dsn(dbname, user), autocommit=autocommit)

    @property
    def major(self) -> int:
        with self.connect() as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
        assert row is not None
        return int(str(row[0])) // 10000

    def stop(self) -> None:
        """Fast shutdown (SIGINT) of the postmaster, then remove the data folder."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass(frozen=True)
class _RunAs:
    """Who runs initdb and the server: `postgres` when we are root, else ourselves."""

    user: int | None = None
    group: int | None = None
    extra_groups: list[int] | None = None


def _run_as() -> _RunAs:
    if os.geteuid() != 0:
        return _RunAs()
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        missing("the 'postgres' system user", "initdb refuses root; " + HOW)
        raise
    return _RunAs(entry.pw_uid, entry.pw_gid, [])


def start_server(bin_dir: Path) -> PostgresServer:
    """initdb into a fresh folder and start a postmaster on a free 127.0.0.1 port."""
    root = Path(tempfile.mkdtemp(prefix="paybill-pg-"))
    run_as = _run_as()
    if run_as.user is not None and run_as.group is not None:
        os.chown(root, run_as.user, run_as.group)
    data = root / "data"
    subprocess.run(
        [
            str(bin_dir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
            "--no-instructions",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        user=run_as.user,
        group=run_as.group,
        extra_groups=run_as.extra_groups,
    )
    port = _free_port()
    log = open(root / "server.log", "wb")  # noqa: SIM115 - the server writes to it until stop()
    process = subprocess.Popen(
        [
            str(bin_dir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(root),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=50",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        user=run_as.user,
        group=run_as.group,
        extra_groups=run_as.extra_groups,
    )
    log.close()
    server = PostgresServer(bin_dir, root, port, process)
    try:
        _wait_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: PostgresServer) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        if server.process.poll() is not None:
            text = (server.root / "server.log").read_text(errors="replace")
            raise RuntimeError(f"PostgreSQL exited during start-up:\n{text}")
        try:
            with server.connect():
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A server for the duration of the block (benchmarks use this too)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(f"PostgreSQL server binaries not found: {HOW}")
    server = start_server(bin_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        missing("PostgreSQL server binaries (initdb, postgres)", HOW)
    assert bin_dir is not None
    server = start_server(bin_dir)
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Database:
    """One fresh database of the session's server."""

    server: PostgresServer
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

    server: PostgresServer
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
def pg(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[Databases]:
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
