"""A step's argument that names a row by its key names a row of the caller's tenant, or the
step is refused and changes nothing: another tenant's id (or an id of no row at all, which
the caller cannot tell apart) affects 0 rows and says so."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from tests.conftest import WriteSpec
from tests.emit.sql.specs import KEYED
from tests.sqlops.live import Conn, compile_to, login, sql_cmd
from tests.sqlops.steps import Refused, api, call, start
from tests.support.postgres import Database, Databases

pytestmark = pytest.mark.postgres
TARGET = "pool-shared"
SAYS = "agent 'worker' in tenant 'acme', workflow 'chores', step"


@pytest.fixture
def db(pg: Databases, write_spec: WriteSpec, tmp_path: Path) -> Database:
    generated = tmp_path / "generated"
    compile_to(write_spec(KEYED), generated)
    database = pg.new()
    assert sql_cmd("apply", database, generated, TARGET).code == 0
    return database


@pytest.fixture
def worker(db: Database) -> Iterator[Conn]:
    with login(db, "agent_acme_worker", autocommit=True) as conn:
        yield conn


def seed(db: Database, tenant: str) -> uuid.UUID:
    id_ = uuid.uuid4()
    with db.connect() as conn:
        conn.execute(
            "INSERT INTO app.tasks (id, tenant_id, status) VALUES (%s, %s, 'open')", [id_, tenant]
        )
    return id_


def rows(db: Database) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        return conn.execute("SELECT tenant_id, status, note FROM app.tasks ORDER BY 1").fetchall()


def read(conn: Conn, run: Any, ids: list[Any]) -> list[tuple[Any, ...]]:
    query = sql.SQL('SELECT * FROM {}(%s, "where.id" => %s)').format(api("chores.read"))
    return call(conn, query, [run, ids])


def mark(conn: Conn, run: Any, ids: list[Any]) -> int:
    query = sql.SQL('SELECT {}(%s, note => %s, "where.id" => %s)').format(api("chores.mark"))
    return int(call(conn, query, [run, "seen", ids])[0][0])


def refusal(action: Any, *arguments: Any) -> str:
    with pytest.raises(Refused) as raised:
        action(*arguments)
    return str(raised.value)


def test_another_tenants_id_is_refused_and_changes_nothing(db: Database, worker: Conn) -> None:
    mine, theirs, nobodys = seed(db, "acme"), seed(db, "bolt-co"), uuid.uuid4()
    before = rows(db)
    run = start(worker, "chores")
    for ids in ([theirs], [mine, theirs], [nobodys]):
        named = next(i for i in ids if i != mine)
        assert refusal(read, worker, run, ids) == (
            f"{SAYS} 'read': where.id names 1 value that is no row of tenant 'acme' "
            f"({named}): rows of other tenants are out of reach"
        )
    assert read(worker, run, [mine]) == [(mine, "open")]
    assert refusal(mark, worker, run, [mine, theirs]) == (
        f"{SAYS} 'mark': where.id names 1 value that is no row of tenant 'acme' ({theirs}): "
        "rows of other tenants are out of reach"
    )
    assert rows(db) == before  # not even the caller's own row changed
    assert mark(worker, run, [mine]) == 1
    assert rows(db) == [("acme", "open", "seen"), ("bolt-co", "open", None)]


def test_values_that_are_not_keys_still_only_filter(db: Database, worker: Conn) -> None:
    """A where-column that is no key (a status) may match no row: that is not a reference."""
    seed(db, "acme")
    run = start(worker, "chores")
    query = sql.SQL('SELECT * FROM {}(%s, "where.status" => %s)').format(api("chores.find"))
    assert call(worker, query, [run, ["closed", "nobody's status"]]) == []
