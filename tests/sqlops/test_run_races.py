"""Run limits under concurrency: 20 sessions, each with its own connection, start runs at
the same moment under READ COMMITTED, REPEATABLE READ and SERIALIZABLE, each having taken
its snapshot first (the attack: a snapshot older than the runs it should count). The
agent's concurrentRuns and runsPerDay, and the tenant's agentRunsPerDay, are never
exceeded; a start that loses the race is refused (PB403) or, under the two snapshot
levels, fails to serialize (40001) and may be tried again."""

from __future__ import annotations

import textwrap
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from compiler.acl import names
from tests.emit.sql.specs import PLATFORM
from tests.sqlops.live import compile_to, sql_cmd
from tests.support.postgres import Database, Databases

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
TARGET = "pool-shared"
CALLERS = 20
LEVELS = {
    "read-committed": psycopg.IsolationLevel.READ_COMMITTED,
    "repeatable-read": psycopg.IsolationLevel.REPEATABLE_READ,
    "serializable": psycopg.IsolationLevel.SERIALIZABLE,
}

# acme: an agent allowed one run at a time, and one allowed 7 runs a day. bolt-co: its plan
# overridden to 7 agent runs a day for the tenant, two agents that could each start 7.
RACES = {
    "platform.yaml": PLATFORM.replace("TENANT_COLUMN", "tenant_id").replace(
        "agentRunsPerDay: 10", "agentRunsPerDay: 1000"
    )
    + "  overrides: {limits: {agentRunsPerDay: 7}}\n",
    "schema.yaml": """
        apiVersion: paybill.dev/v1
        kind: Table
        metadata: {name: tasks}
        spec:
          columns:
            - {name: id, type: uuid, primaryKey: true}
            - {name: tenant_id, type: text}
            - {name: status, type: text}
        """,
    "agents.yaml": """
        apiVersion: paybill.dev/v1
        kind: Agent
        metadata: {name: single}
        spec:
          description: One run at a time
          workflows: [chores]
          limits: {runsPerDay: 1000, concurrentRuns: 1}
        ---
        apiVersion: paybill.dev/v1
        kind: Agent
        metadata: {name: daily}
        spec:
          description: Seven runs a day
          workflows: [chores]
          limits: {runsPerDay: 7, concurrentRuns: 20}
        ---
        apiVersion: paybill.dev/v1
        kind: Workflow
        metadata: {name: chores}
        spec:
          requiresFeature: sync
          trigger: {event: tasks.due}
          limits: {maxSteps: 3, timeoutSeconds: 600, maxRowsPerStep: 5}
          steps:
            - id: read
              query: {table: tasks, operation: select, columns: [id], where: [status]}
        """,
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("races")
    spec = root / "spec"
    for name, text in RACES.items():
        (spec / name).parent.mkdir(parents=True, exist_ok=True)
        (spec / name).write_text(textwrap.dedent(text).lstrip("\n"))
    compile_to(spec, root / "generated")
    return root / "generated"


@pytest.fixture
def db(pg: Databases, generated: Path) -> Database:
    database = pg.new()
    assert sql_cmd("apply", database, generated, TARGET).code == 0
    return database


@dataclass(frozen=True)
class Caller:
    login: str
    finish: bool  # start and finish the run in one transaction


def _logins(db: Database, roles: list[str]) -> Iterator[str]:
    for role in roles:
        login = f"race_{role}"[:63]
        with db.connect() as admin:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))
            admin.execute(
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(login))
            )
        yield login


def race(db: Database, callers: list[Caller], level: psycopg.IsolationLevel) -> Counter[str]:
    """Every caller takes its snapshot, then all start a run at once; what each got."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    connections = [db.connect(c.login, autocommit=False) for c in callers]
    ready = threading.Barrier(len(callers))

    def call(caller: Caller, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        conn.isolation_level = level
        outcome = "started"
        try:
            conn.execute("SELECT 1")  # the transaction's snapshot, taken before the others start
            ready.wait(timeout=60)
            run = conn.execute("SELECT paybill_api.start_run('chores')").fetchone()
            if caller.finish and run is not None:
                conn.execute("SELECT paybill_api.finish_run(%s)", [run[0]])
            conn.commit()
        except psycopg.Error as error:
            conn.rollback()
            outcome = {names.REFUSED_SQLSTATE: "refused", "40001": "serialization"}.get(
                error.sqlstate or "", f"error {error.sqlstate}: {error}"
            )
        with lock:
            outcomes[outcome] += 1

    threads = [
        threading.Thread(target=call, args=(c, conn))
        for c, conn in zip(callers, connections, strict=True)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for conn in connections:
            conn.close()
    return outcomes


def runs(db: Database, condition: str) -> int:
    with db.connect() as admin:
        found = admin.execute(f"SELECT count(*) FROM paybill.runs WHERE {condition}".encode())
        row = found.fetchone()
        assert row is not None
        return int(str(row[0]))


def check(outcomes: Counter[str], limit: int, level: str) -> None:
    """At most `limit` started; the others refused or, under the snapshot levels, told to
    try again; under READ COMMITTED every start waits its turn, so exactly `limit`."""
    assert sum(outcomes.values()) == CALLERS
    allowed = {"started", "refused"} | ({"serialization"} if level != "read-committed" else set())
    assert set(outcomes) <= allowed, outcomes
    assert 1 <= outcomes["started"] <= limit, outcomes
    if level == "read-committed":
        assert outcomes["started"] == limit, outcomes


@pytest.mark.parametrize("level", LEVELS)
def test_concurrent_runs_hold_when_twenty_sessions_start_at_once(db: Database, level: str) -> None:
    (login,) = _logins(db, ["agent_acme_single"])
    outcomes = race(db, [Caller(login, finish=False)] * CALLERS, LEVELS[level])
    check(outcomes, 1, level)
    assert runs(db, "role = 'agent_acme_single' AND status = 'open'") == outcomes["started"]


@pytest.mark.parametrize("level", LEVELS)
def test_runs_per_day_hold_when_twenty_sessions_start_and_finish_at_once(
    db: Database, level: str
) -> None:
    (login,) = _logins(db, ["agent_acme_daily"])
    outcomes = race(db, [Caller(login, finish=True)] * CALLERS, LEVELS[level])
    check(outcomes, 7, level)
    assert runs(db, "role = 'agent_acme_daily'") == outcomes["started"]


@pytest.mark.parametrize("level", LEVELS)
def test_a_tenants_runs_per_day_hold_across_its_agents(db: Database, level: str) -> None:
    one, two = _logins(db, ["agent_bolt_co_single", "agent_bolt_co_daily"])
    callers = [Caller(one if i % 2 else two, finish=True) for i in range(CALLERS)]
    # `single` may run one at a time: each caller finishes its run in its transaction.
    outcomes = race(db, callers, LEVELS[level])
    check(outcomes, 7, level)
    assert runs(db, "tenant = 'bolt-co'") == outcomes["started"]
