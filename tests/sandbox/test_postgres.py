"""The sandbox's PostgreSQL: started on 127.0.0.1, a database per SQL target on demand,
found again from its folder, restarted on its data, stopped by its PID."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.errors import EnvironmentProblem
from compiler.sandbox import postgres
from compiler.sandbox.postgres import (
    HOW_TO_INSTALL,
    LocalPostgres,
    find_bin_dir,
    running_postgres,
    start_postgres,
)
from compiler.sandbox.process import is_running
from tests.support.tools import missing

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def folder() -> Iterator[Path]:
    if find_bin_dir() is None:
        missing("PostgreSQL server binaries (initdb, postgres)", HOW_TO_INSTALL)
    # Short, and reachable by the `postgres` user when the tests run as root.
    with tempfile.TemporaryDirectory(prefix="pb-pg-") as made:
        Path(made).chmod(0o711)
        yield Path(made) / "pg"


def test_databases_are_made_on_demand_and_the_server_stops_by_its_pid(folder: Path) -> None:
    server = start_postgres(folder)
    try:
        assert running_postgres(folder) == server
        dsn = server.ensure_database("tenant-acme")
        assert dsn == f"host=127.0.0.1 port={server.port} user=postgres dbname=tenant-acme"
        assert server.ensure_database("tenant-acme") == dsn  # the second time finds it
        with server.connect("tenant-acme") as conn:
            row = conn.execute("SELECT current_database(), current_setting('fsync')").fetchone()
        assert row == ("tenant-acme", "off")
        with pytest.raises(EnvironmentProblem, match="already runs"):
            start_postgres(folder)
    finally:
        server.stop()
    assert not is_running(server.pid)
    assert running_postgres(folder) is None


def test_a_restart_keeps_the_data_and_remove_data_deletes_it(folder: Path) -> None:
    first = start_postgres(folder)
    first.ensure_database("pool-eu-shared")
    first.stop()
    second = start_postgres(folder)
    try:
        with second.connect() as conn:
            names = conn.execute("SELECT datname FROM pg_database").fetchall()
        assert ("pool-eu-shared",) in names
    finally:
        second.stop(remove_data=True)
    assert not folder.exists()


def test_problems_say_what_is_missing_and_how_to_fix_it(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(EnvironmentProblem, match="too long a path"):
        start_postgres(folder / ("x" * 120))
    monkeypatch.setattr(postgres, "find_bin_dir", lambda: None)
    with pytest.raises(EnvironmentProblem) as raised:
        start_postgres(folder)
    assert str(raised.value) == f"PostgreSQL server binaries not found: {HOW_TO_INSTALL}"
    assert raised.value.exit_code == 3


def test_a_stale_record_is_not_a_running_server(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "postgres.json").write_text('{"pid": 1, "port": 5432}')
    assert running_postgres(folder) is None
    assert not LocalPostgres(folder, 5432, 999_999_999).is_running()
