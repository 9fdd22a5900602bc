"""A local PostgreSQL on 127.0.0.1: initdb into a folder we own, a postmaster on a free
port, stopped by its PID. Used by `paybill sandbox` and by the test suite.

    server = start_postgres(folder)                 # ready when this returns
    dsn = server.ensure_database("tenant-acme")     # created on first use
    server.stop()

The server trusts connections from 127.0.0.1 (no password exists to leak; nothing else can
reach it), keeps its socket in `folder`, and runs with fsync off: it is for trying things
and for tests, never for data worth keeping. initdb refuses to run as root, so as root the
server runs as the `postgres` system user. `folder` holds `data/`, `server.log` and
`postgres.json` (PID and port), so a later process finds it with `running_postgres(folder)`;
starting again on the same folder reuses its data.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from compiler.errors import EnvironmentProblem
from compiler.sandbox import process

SUPERUSER = "postgres"
PREFERRED_MAJOR = "15"
BIN_VARIABLE = "PAYBILL_PG_BIN"
STATE_NAME = "postgres.json"
HOW_TO_INSTALL = (
    "install the PostgreSQL server (scripts/ensure-postgres.sh, or apt-get install -y "
    f"postgresql), or point {BIN_VARIABLE} at a folder holding initdb and postgres"
)
START_TIMEOUT = 30.0
_SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes; PostgreSQL adds `.s.PGSQL.<port>.lock`
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
}


@dataclass(frozen=True)
class LocalPostgres:
    """A running server: connect as the superuser to any of its databases."""

    folder: Path
    port: int
    pid: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def dsn(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        return psycopg.conninfo.make_conninfo(
            host="127.0.0.1", port=self.port, user=user, dbname=dbname
        )

    def connect(
        self, dbname: str = "postgres", user: str = SUPERUSER, autocommit: bool = True
    ) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.dsn(dbname, user), autocommit=autocommit)

    def ensure_database(self, name: str) -> str:
        """Create the database unless it exists; its DSN."""
        with self.connect() as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if found.fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)

    def is_running(self) -> bool:
        return process.is_ours(self.pid, str(self.data))

    def stop(self, *, remove_data: bool = False) -> None:
        """Fast shutdown (SIGINT to the postmaster, by PID); optionally delete the folder."""
        process.stop(self.pid, str(self.data), sig=signal.SIGINT, timeout=30.0)
        (self.folder / STATE_NAME).unlink(missing_ok=True)
        if remove_data:
            shutil.rmtree(self.folder, ignore_errors=True)


def find_bin_dir() -> Path | None:
    """PAYBILL_PG_BIN, else PostgreSQL 15 under /usr/lib/postgresql, else the newest there."""
    named = os.environ.get(BIN_VARIABLE)
    candidates = [Path(named)] if named else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: (p.parent.name != PREFERRED_MAJOR, -_major(p.parent.name)),
    )
    return next(
        (d for d in candidates if (d / "initdb").is_file() and (d / "postgres").is_file()), None
    )


def _major(name: str) -> int:
    return int(name) if name.isdigit() else 0


def running_postgres(folder: Path) -> LocalPostgres | None:
    """The server recorded in `folder`, if it still runs."""
    try:
        recorded = json.loads((folder / STATE_NAME).read_text())
        server = LocalPostgres(folder, int(recorded["port"]), int(recorded["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if server.is_running() else None


def start_postgres(
    folder: Path, *, bin_dir: Path | None = None, timeout: float = START_TIMEOUT
) -> LocalPostgres:
    """initdb (unless `folder` already holds a cluster) and start a detached postmaster."""
    bin_dir = bin_dir or find_bin_dir()
    if bin_dir is None:
        raise EnvironmentProblem(f"PostgreSQL server binaries not found: {HOW_TO_INSTALL}")
    if running_postgres(folder) is not None:
        raise EnvironmentProblem(f"a PostgreSQL server already runs for {folder}; stop it first")
    owner = _server_user()
    folder = folder.resolve()
    _prepare_folder(folder, owner)
    if not (folder / "data" / "PG_VERSION").is_file():
        _initdb(bin_dir, folder / "data", owner)
    server = _launch(bin_dir, folder, owner, timeout)
    (folder / STATE_NAME).write_text(json.dumps({"pid": server.pid, "port": server.port}) + "\n")
    return server


def _server_user() -> pwd.struct_passwd | None:
    """The `postgres` user when we are root (initdb refuses root), else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise EnvironmentProblem(
            f"running as root needs the '{SUPERUSER}' system user (initdb refuses root): "
            + HOW_TO_INSTALL
        ) from None


def _prepare_folder(folder: Path, owner: pwd.struct_passwd | None) -> None:
    if len(str(folder / ".s.PGSQL.65535.lock")) > _SOCKET_PATH_LIMIT:
        raise EnvironmentProblem(
            f"{folder} is too long a path for PostgreSQL's socket; choose a shorter folder"
        )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if owner is None:
        return
    os.chown(folder, owner.pw_uid, owner.pw_gid)
    for parent in folder.parents:
        if not _traversable(parent, owner):
            raise EnvironmentProblem(
                f"PostgreSQL runs as '{SUPERUSER}', which cannot reach {folder} through "
                f"{parent}: choose a folder outside it, or allow it (chmod o+x {parent})"
            )


def _traversable(folder: Path, owner: pwd.struct_passwd) -> bool:
    info = folder.stat()
    if info.st_uid == owner.pw_uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid == owner.pw_gid:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


@dataclass(frozen=True)
class _RunAs:
    """Who runs initdb and the server: the `postgres` user when we are root, else us."""

    user: int | None = None
    group: int | None = None
    extra_groups: list[int] | None = None


def _as(owner: pwd.struct_passwd | None) -> _RunAs:
    return _RunAs() if owner is None else _RunAs(owner.pw_uid, owner.pw_gid, [])


def _initdb(bin_dir: Path, data: Path, owner: pwd.struct_passwd | None) -> None:
    run_as = _as(owner)
    done = subprocess.run(
        [
            str(bin_dir / "initdb"),
            *("--pgdata", str(data), "--username", SUPERUSER, "--auth", "trust"),
            *("--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions"),
        ],
        check=False,
        capture_output=True,
        text=True,
        user=run_as.user,
        group=run_as.group,
        extra_groups=run_as.extra_groups,
    )
    if done.returncode != 0:
        raise EnvironmentProblem(f"initdb failed in {data}:\n{done.stderr.strip()}")


def _launch(
    bin_dir: Path, folder: Path, owner: pwd.struct_passwd | None, timeout: float
) -> LocalPostgres:
    """Start on a free port; a port taken meanwhile by someone else gets one more try."""
    run_as = _as(owner)
    settings = [f"-c{key}={value}" for key, value in sorted(_SETTINGS.items())]
    for attempt in range(3):
        port = _free_port()
        command = [str(bin_dir / "postgres"), "-D", str(folder / "data"), "-p", str(port)]
        with open(folder / "server.log", "ab") as log:
            child = subprocess.Popen(
                [*command, "-k", str(folder), *settings],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=run_as.user,
                group=run_as.group,
                extra_groups=run_as.extra_groups,
            )
        process.adopt(child)
        server = LocalPostgres(folder, port, child.pid)
        try:
            if _wait_ready(server, child, timeout):
                return server
        except BaseException:
            server.stop()
            raise
        if attempt == 2:
            break
    log_tail = (folder / "server.log").read_text(errors="replace")[-4000:]
    raise EnvironmentProblem(f"PostgreSQL did not start in {folder}:\n{log_tail}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(server: LocalPostgres, child: subprocess.Popen[bytes], timeout: float) -> bool:
    """True once it accepts connections; False if it exited (a port clash, most often)."""
    deadline = time.monotonic() + timeout
    while True:
        if child.poll() is not None:
            process.forget(child.pid)
            return False
        try:
            with server.connect():
                return True
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise EnvironmentProblem(
                    f"PostgreSQL in {server.folder} did not accept connections in {timeout:.0f} s"
                ) from None
            time.sleep(process.POLL_SECONDS)
