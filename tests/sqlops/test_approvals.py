"""A person's approval of a step serves one call: of that step, in that run, with the
arguments approved, before it expires. A second call, with the same or other arguments,
needs a new approval; twenty sessions racing to use one approval get one call between
them. Whoever holds an agent's role can never approve, and converge takes the approver
role from such a login."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from compiler.acl import names
from tests.conftest import WriteSpec
from tests.emit.sql.specs import KEYED
from tests.sqlops.live import Conn, compile_to, login, sql_cmd
from tests.sqlops.steps import Refused, api, call, start
from tests.support.postgres import Database, Databases

pytestmark = pytest.mark.postgres
TARGET = "pool-shared"
WORKER = "agent_acme_worker"
APPROVER = "paybill_pool_shared_approver"
SAYS = "agent 'worker' in tenant 'acme', workflow 'chores', step"


@dataclass
class Pool:
    db: Database
    generated: Path

    def seed(self, tenant: str, count: int) -> list[uuid.UUID]:
        ids = [uuid.uuid4() for _ in range(count)]
        with self.db.connect() as conn:
            for id_ in ids:
                conn.execute(
                    "INSERT INTO app.tasks (id, tenant_id, status) VALUES (%s, %s, 'open')",
                    [id_, tenant],
                )
        return ids

    def ids(self, tenant: str) -> set[uuid.UUID]:
        with self.db.connect() as conn:
            found = conn.execute("SELECT id FROM app.tasks WHERE tenant_id = %s", [tenant])
            return {uuid.UUID(str(row[0])) for row in found}


@pytest.fixture
def pool(pg: Databases, write_spec: WriteSpec, tmp_path: Path) -> Pool:
    generated = tmp_path / "generated"
    compile_to(write_spec(KEYED), generated)
    db = pg.new()
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    return Pool(db, generated)


@pytest.fixture
def worker(pool: Pool) -> Iterator[Conn]:
    with login(pool.db, WORKER, autocommit=True) as conn:
        yield conn


@pytest.fixture
def approver(pool: Pool) -> Iterator[Conn]:
    with login(pool.db, APPROVER, autocommit=True) as conn:
        yield conn


def approve(conn: Conn, run: Any, step: str, arguments: object, valid: str = "1 hour") -> Any:
    return call(
        conn,
        sql.SQL("SELECT {}(%s, %s, %s, 'Ann', %s::interval)").format(api(names.APPROVE)),
        [run, step, Jsonb(arguments), valid],
    )[0][0]


def purge(conn: Conn, run: Any, *ids: uuid.UUID) -> int:
    query = sql.SQL('SELECT {}(%s, "where.id" => %s)').format(api("chores.purge"))
    return int(call(conn, query, [run, list(ids)])[0][0])


def refund(conn: Conn, run: Any, arguments: object) -> None:
    call(conn, sql.SQL("SELECT {}(%s, %s)").format(api("chores.refund")), [run, Jsonb(arguments)])


def read(conn: Conn, run: Any, *ids: uuid.UUID) -> list[tuple[Any, ...]]:
    query = sql.SQL('SELECT * FROM {}(%s, "where.id" => %s)').format(api("chores.read"))
    return call(conn, query, [run, list(ids)])


def refusal(action: Any, *arguments: Any) -> str:
    with pytest.raises(Refused) as raised:
        action(*arguments)
    return str(raised.value)


NEEDS = "the step needs a person's approval of these arguments (each approval serves one call)"


def test_an_approval_serves_one_call_with_the_arguments_approved(
    pool: Pool, worker: Conn, approver: Conn
) -> None:
    first, second = pool.seed("acme", 2)
    run = start(worker, "chores")
    read(worker, run, first, second)
    assert refusal(purge, worker, run, first) == f"{SAYS} 'purge': {NEEDS}"
    approve(approver, run, "purge", {"where.id": [str(first)]})
    # Other arguments: the approval does not cover them.
    assert refusal(purge, worker, run, second) == f"{SAYS} 'purge': {NEEDS}"
    assert refusal(purge, worker, run, first, second) == f"{SAYS} 'purge': {NEEDS}"
    assert purge(worker, run, first) == 1
    # The same arguments again: the approval was used.
    assert refusal(purge, worker, run, first) == f"{SAYS} 'purge': {NEEDS}"
    approve(approver, run, "purge", {"where.id": [str(second)]})
    assert purge(worker, run, second) == 1
    assert pool.ids("acme") == set()
    with pool.db.connect() as conn:
        used = conn.execute(
            "SELECT step, approved_by, used_at IS NOT NULL FROM paybill.approvals "
            "WHERE run = %s ORDER BY approved_at",
            [run],
        ).fetchall()
    assert used == [("purge", "Ann", True), ("purge", "Ann", True)]


def test_a_destructive_tool_is_approved_with_its_arguments_once(
    worker: Conn, approver: Conn
) -> None:
    run = start(worker, "chores")
    read(worker, run)
    payment = {"payment": "p-1", "cents": 1200}
    approve(approver, run, "refund", payment)
    assert refusal(refund, worker, run, {"payment": "p-1", "cents": 99999}) == (
        f"{SAYS} 'refund': {NEEDS}"
    )
    refund(worker, run, {"cents": 1200, "payment": "p-1"})  # the same JSON, keys in any order
    assert refusal(refund, worker, run, payment) == f"{SAYS} 'refund': {NEEDS}"


def test_an_approval_holds_for_its_run_until_it_expires(
    pool: Pool, worker: Conn, approver: Conn
) -> None:
    (task,) = pool.seed("acme", 1)
    run, other = start(worker, "chores"), start(worker, "chores")
    for each in (run, other):
        read(worker, each, task)
    arguments = {"where.id": [str(task)]}
    approve(approver, other, "purge", arguments)
    assert refusal(purge, worker, run, task) == f"{SAYS} 'purge': {NEEDS}"
    approve(approver, run, "purge", arguments, "1 millisecond")
    with pool.db.connect() as conn:
        conn.execute("SELECT pg_sleep(0.05)")
    assert refusal(purge, worker, run, task) == f"{SAYS} 'purge': {NEEDS}"
    # Asking does not use it; a refused call (over the row cap, say) does not either.
    approve(approver, run, "purge", arguments)
    until = call(
        worker,
        sql.SQL("SELECT {}(%s, 'purge', %s)").format(api(names.APPROVAL)),
        [run, Jsonb(arguments)],
    )[0][0]
    assert until is not None
    assert purge(worker, run, task) == 1


def test_twenty_sessions_racing_for_one_approval_get_one_call(
    pool: Pool, worker: Conn, approver: Conn
) -> None:
    (task,) = pool.seed("acme", 1)
    run = start(worker, "chores")
    read(worker, run, task)
    approve(approver, run, "purge", {"where.id": [str(task)]})
    user = f"login_{WORKER}"
    connections = [pool.db.connect(user) for _ in range(20)]
    ready = threading.Barrier(len(connections))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def race(conn: Conn) -> None:
        ready.wait(timeout=60)
        try:
            outcome = f"deleted {purge(conn, run, task)}"
        except Refused as refused:
            outcome = str(refused)
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=race, args=(c,)) for c in connections]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for conn in connections:
            conn.close()
    assert outcomes == Counter({"deleted 1": 1, f"{SAYS} 'purge': {NEEDS}": 19})


def test_no_one_holding_an_agents_role_may_approve(pool: Pool, worker: Conn) -> None:
    (task,) = pool.seed("acme", 1)
    run = start(worker, "chores")
    read(worker, run, task)
    with pool.db.connect() as admin:
        # The approver role granted to the agent's own login: self-approval.
        admin.execute(f"GRANT {APPROVER} TO login_{WORKER}".encode())
    with pytest.raises(Refused) as refused:
        approve(worker, run, "purge", {"where.id": [str(task)]})
    assert str(refused.value) == (
        f"login login_{WORKER} holds the agent role {WORKER}: an agent cannot approve steps"
    )
    drift = sql_cmd("drift", pool.db, pool.generated, TARGET)
    line = (
        f'  role "login_{WORKER}" is a member of the approver role "{APPROVER}" and holds the '
        f'agent role "{WORKER}": an agent could approve its own steps'
    )
    assert (drift.code, drift.out.splitlines()[1:-1]) == (2, [line])
    assert sql_cmd("apply", pool.db, pool.generated, TARGET).code == 0
    assert sql_cmd("drift", pool.db, pool.generated, TARGET).code == 0
    with pool.db.connect() as admin:
        held = admin.execute(
            f"SELECT pg_has_role('login_{WORKER}', '{APPROVER}', 'MEMBER')".encode()
        ).fetchone()
    assert held == (False,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        approve(worker, run, "purge", {"where.id": [str(task)]})
