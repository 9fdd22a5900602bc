"""Runs and their limits, enforced by PostgreSQL whatever the client: row caps (the
statement's effect rolled back), step order, human approvals (for this run and step, by the
approver, not expired), runs per day (the agent's and the tenant's), concurrent runs,
maxSteps and timeoutSeconds; and who is calling, which no session can forge."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from compiler.emit.sql.state import TargetState
from tests.conftest import WriteSpec
from tests.emit.sql.specs import RUNS
from tests.sqlops.live import Conn, compile_to, login, sql_cmd
from tests.sqlops.steps import Refused, api, approve, call, finish, start
from tests.support.postgres import Database, Databases

pytestmark = pytest.mark.postgres
TARGET = "pool-shared"
WORKER, HELPER = "agent_acme_worker", "agent_acme_helper"
APPROVER = "paybill_pool_shared_approver"


@dataclass
class Pool:
    db: Database
    state: TargetState
    generated: Path

    def seed(self, tenant: str, *statuses: str) -> list[uuid.UUID]:
        ids = [uuid.uuid4() for _ in statuses]
        with self.db.connect() as conn:
            for id_, status in zip(ids, statuses, strict=True):
                conn.execute(
                    "INSERT INTO app.tasks (id, tenant_id, status) VALUES (%s, %s, %s)",
                    [id_, tenant, status],
                )
        return ids

    def notes(self) -> list[tuple[Any, ...]]:
        with self.db.connect() as conn:
            return conn.execute(
                "SELECT tenant_id, status, note FROM app.tasks ORDER BY 1, 2"
            ).fetchall()


@pytest.fixture
def pool(pg: Databases, write_spec: WriteSpec, tmp_path: Path) -> Pool:
    generated = tmp_path / "generated"
    state = compile_to(write_spec(RUNS), generated)[TARGET]
    db = pg.new()
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    return Pool(db, state, generated)


def step(conn: Conn, name: str, run: Any, *arguments: Any) -> list[tuple[Any, ...]]:
    function = sql.SQL("{}.{}").format(sql.Identifier("paybill_api"), sql.Identifier(name))
    marks = sql.SQL(", ").join(sql.SQL("%s") for _ in (run, *arguments))
    if name.endswith((".read", ".look")):
        return call(
            conn,
            sql.SQL("SELECT * FROM {}({}) ORDER BY 1").format(function, marks),
            [run, *arguments],
        )
    return call(conn, sql.SQL("SELECT {}({})").format(function, marks), [run, *arguments])


def refused(conn: Conn, name: str, run: Any, *arguments: Any) -> str:
    with pytest.raises(Refused) as raised:
        step(conn, name, run, *arguments)
    return str(raised.value)


def starting(conn: Conn, workflow: str) -> str:
    with pytest.raises(Refused) as raised:
        start(conn, workflow)
    return str(raised.value)


@pytest.fixture
def worker(pool: Pool) -> Iterator[Conn]:
    with login(pool.db, WORKER, autocommit=True) as conn:
        yield conn


WORKER_SAYS = "agent 'worker' in tenant 'acme', workflow 'chores'"


def test_over_the_row_cap_is_refused_and_rolled_back(pool: Pool, worker: Conn) -> None:
    pool.seed("acme", "open", "open", "open", "done")
    pool.seed("bolt-co", "open")
    run = start(worker, "chores")
    assert refused(worker, "chores.read", run, ["open"]) == (
        f"{WORKER_SAYS}, step 'read': more than 2 rows match, over the step's cap (maxRowsPerStep)"
    )
    assert [r[1] for r in step(worker, "chores.read", run, ["done"])] == ["done"]
    before = pool.notes()
    assert refused(worker, "chores.mark", run, "seen", ["open"]) == (
        f"{WORKER_SAYS}, step 'mark': 3 rows is over the step's cap of 2 (maxRowsPerStep)"
    )
    assert pool.notes() == before  # the update was rolled back with the refusal
    # A refused call does not count as a step: two more fit in maxSteps 3.
    assert step(worker, "chores.mark", run, "seen", ["done"]) == [(1,)]
    assert ("acme", "done", "seen") in pool.notes()


def test_steps_run_in_order_and_deletes_wait_for_an_approval_of_this_run(
    pool: Pool, worker: Conn
) -> None:
    keep, gone = pool.seed("acme", "open", "stale")
    run = start(worker, "chores")
    assert refused(worker, "chores.mark", run, "x", ["stale"]) == (
        f"{WORKER_SAYS}, step 'mark': step(s) read must run first"
    )
    step(worker, "chores.read", run, ["stale"])
    assert refused(worker, "chores.purge", run, [gone]) == (
        f"{WORKER_SAYS}, step 'purge': step(s) mark must run first"
    )
    step(worker, "chores.mark", run, "x", ["stale"])
    denied = (
        f"{WORKER_SAYS}, step 'purge': the step needs a person's approval of these arguments "
        "(each approval serves one call)"
    )
    assert refused(worker, "chores.purge", run, [gone]) == denied
    arguments = {"where.id": [str(gone)]}
    with (
        login(pool.db, HELPER, autocommit=True) as helper,
        login(pool.db, APPROVER, autocommit=True) as approver,
    ):
        other = start(helper, "chores")
        approve(approver, other, "purge", arguments)  # another run's approval does not count
        assert refused(worker, "chores.purge", run, [gone]) == denied
        call(
            approver,
            sql.SQL("SELECT {}(%s, 'purge', %s, 'Ann', interval '1 millisecond')").format(
                api("approve")
            ),
            [run, Jsonb(arguments)],
        )
        time.sleep(0.05)  # expired
        assert refused(worker, "chores.purge", run, [gone]) == denied
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
            approve(worker, run, "purge", arguments)  # an agent may not approve
        assert str(raised.value).splitlines()[0] == "permission denied for function approve"
        approve(approver, run, "purge", arguments, "Ann")
        assert step(worker, "chores.purge", run, [gone]) == [(1,)]
        with pool.db.connect() as conn:
            approvals = conn.execute(
                "SELECT step, approved_by, granted_by, used_at IS NOT NULL FROM paybill.approvals "
                "WHERE run = %s ORDER BY expires_at",
                [run],
            ).fetchall()
        # The expired one, unused; the one the delete used.
        assert approvals == [
            ("purge", "Ann", f"login_{APPROVER}", False),
            ("purge", "Ann", f"login_{APPROVER}", True),
        ]
    assert [r[1] for r in pool.notes()] == ["open"]
    assert keep


def test_runs_per_day_and_concurrent_runs_are_counted_by_the_database(
    pool: Pool, worker: Conn
) -> None:
    first = start(worker, "chores")
    assert starting(worker, "chores") == (
        f"{WORKER_SAYS}: the agent has 1 open run(s), as many as it may have at once "
        "(concurrentRuns); finish one first"
    )
    assert finish(worker, first) == "finished"
    finish(worker, start(worker, "chores"))
    assert starting(worker, "chores") == (
        f"{WORKER_SAYS}: the agent has started 2 runs in the last 24 hours, as many as it may "
        "(runsPerDay)"
    )
    with login(pool.db, HELPER, autocommit=True) as helper:
        finish(helper, start(helper, "chores"))  # the tenant's third
        assert starting(helper, "chores") == (
            "agent 'helper' in tenant 'acme', workflow 'chores': the tenant's agents have "
            "started 3 runs in the last 24 hours, as many as its plan allows (agentRunsPerDay)"
        )
    with login(pool.db, "agent_bolt_co_worker", autocommit=True) as other:
        finish(other, start(other, "chores"))  # another tenant counts on its own


def test_max_steps_and_timeouts_end_what_a_run_may_do(pool: Pool, worker: Conn) -> None:
    pool.seed("acme", "open")
    run = start(worker, "chores")
    for _ in range(3):
        step(worker, "chores.read", run, ["open"])
    assert refused(worker, "chores.read", run, ["open"]) == (
        f"{WORKER_SAYS}, step 'read': run {run} has made all 3 of its steps (maxSteps)"
    )
    with login(pool.db, HELPER, autocommit=True) as helper:
        quick = start(helper, "quick")
        time.sleep(1.2)
        assert refused(helper, "quick.look", quick, ["open"]) == (
            f"agent 'helper' in tenant 'acme', workflow 'quick', step 'look': run {quick} has "
            "timed out (timeoutSeconds: 1)"
        )
        assert finish(helper, quick) == "expired"
        with pytest.raises(Refused) as raised:
            finish(helper, quick)
        assert str(raised.value) == (
            f"agent 'helper' in tenant 'acme': run {quick} is not an open run of this agent"
        )


def test_a_run_belongs_to_the_agent_that_started_it(pool: Pool, worker: Conn) -> None:
    pool.seed("acme", "open")
    run = start(worker, "chores")
    for role, says in (
        (HELPER, "agent 'helper' in tenant 'acme'"),
        ("agent_bolt_co_worker", "agent 'worker' in tenant 'bolt-co'"),
    ):
        with login(pool.db, role, autocommit=True) as other:
            assert refused(other, "chores.read", run, ["open"]) == (
                f"{says}, workflow 'chores', step 'read': run {run} is not a run of this agent"
            )
            with pytest.raises(Refused):
                finish(other, run)


def test_the_caller_cannot_be_forged(pool: Pool, worker: Conn) -> None:
    pool.seed("acme", "mine")
    pool.seed("bolt-co", "theirs")
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
        worker.execute("SELECT set_config('role', 'agent_bolt_co_worker', false)")
    assert (
        str(raised.value).splitlines()[0] == 'permission denied to set role "agent_bolt_co_worker"'
    )
    for trick in ("SET app.tenant_id = 'bolt-co'", "SET paybill.tenant = 'bolt-co'"):
        worker.execute(trick.encode())
    run = start(worker, "chores")
    assert step(worker, "chores.read", run, ["mine", "theirs"])[0][1] == "mine"
    assert len(step(worker, "chores.read", run, ["mine", "theirs"])) == 1
    for statement, error in (
        (
            "SELECT paybill.refuse_step(NULL, 'chores', 'read', '{}', false)",
            "permission denied for schema paybill",
        ),
        (
            "SELECT * FROM paybill_api.\"quick.look\"(NULL, '{}')",
            "permission denied for function quick.look",
        ),
        ("LOCK TABLE paybill.apply_lock", "permission denied for schema paybill"),
    ):
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege) as raised,
            worker.transaction(),
        ):
            worker.execute(statement.encode())
        assert str(raised.value).splitlines()[0] == error
    # A login granted two agents' roles must say which one it acts as.
    with pool.db.connect() as admin:
        admin.execute("CREATE ROLE two_hats LOGIN")
        admin.execute("GRANT agent_acme_worker, agent_bolt_co_worker TO two_hats")
    try:
        with pool.db.connect("two_hats") as both:
            assert starting(both, "chores") == (
                "login two_hats is granted 2 agent roles: SET ROLE to the one it acts as"
            )
            both.execute("SET ROLE agent_bolt_co_worker")
            theirs = start(both, "chores")
            assert step(both, "chores.read", theirs, ["mine", "theirs"])[0][1] == "theirs"
    finally:
        with pool.db.connect() as admin:
            admin.execute("DROP ROLE two_hats")
    # The steps role on its own, without an agent calling, sees no row.
    with pool.db.connect() as admin:
        admin.execute("SET ROLE paybill_pool_shared_steps")
        assert admin.execute("SELECT count(*) FROM app.tasks").fetchone() == (0,)
    with login(pool.db, "app_acme", autocommit=True) as app:
        assert starting_error(app) == "permission denied for function start_run"


def starting_error(conn: Conn) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
        start(conn, "chores")
    return str(raised.value).splitlines()[0]


def test_starting_a_run_bounds_the_sessions_statements_and_idle_transactions(
    pool: Pool,
) -> None:
    with login(pool.db, HELPER, autocommit=True) as helper:
        helper.execute("SET statement_timeout = 0")
        helper.execute("SET idle_in_transaction_session_timeout = 0")
        start(helper, "quick")  # timeoutSeconds: 1
        shown = [
            helper.execute(f"SHOW {name}".encode()).fetchone()
            for name in ("statement_timeout", "idle_in_transaction_session_timeout")
        ]
        assert shown == [("1s",), ("1s",)]
        with pytest.raises(psycopg.errors.QueryCanceled):
            helper.execute("SELECT pg_sleep(2)")
