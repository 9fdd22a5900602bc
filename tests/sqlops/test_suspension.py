"""Suspension always goes through. An agent that keeps a transaction open (its timeouts
turned off) cannot hold up `paybill sql apply` of a change that takes its access away: past a
bound, apply ends that agent's sessions (and no one else's) and goes on. A run's start sets
the session's timeouts from the workflow's limits."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

from tests.sqlops.fleet import ITEMS, TARGET, converged
from tests.sqlops.live import compile_to, login, sql_cmd
from tests.support.postgres import Databases

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def suspend_alpha_co(spec: Path) -> None:
    edit(
        spec / "tenants.yaml",
        "pool: fleet-eu\n  state: active\n  subscription: {status: active}",
        "pool: fleet-eu\n  state: suspended\n  subscription: {status: active}",
    )


def alive(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


def test_suspending_a_tenant_whose_agent_holds_a_transaction_open(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    with (
        login(db, "agent_alpha_co_nudger") as agent,
        login(db, "agent_bravo_labs_nudger") as neighbour,
        login(db, "app_alpha_co") as app,
    ):
        # The misbehaving agent: no timeouts, a run started and a transaction left open.
        agent.execute("SET idle_in_transaction_session_timeout = 0")
        agent.execute("SET statement_timeout = 0")
        agent.execute("SELECT paybill_api.start_run('stale-items')")
        pid = agent.info.backend_pid
        # Another tenant's agent, and the tenant's own application, in open transactions too.
        neighbour.execute("SELECT paybill_api.start_run('stale-items')")
        app.execute(f"SELECT count(*) FROM {ITEMS}".encode())
        suspend_alpha_co(fleet)
        compile_to(fleet, generated)
        began = time.monotonic()
        applied = sql_cmd("apply", db, generated, TARGET)
        took = time.monotonic() - began
        assert (applied.code, applied.err) == (0, "")
        assert took < 60
        assert (
            f'  ended session {pid} of login "login_agent_alpha_co_nudger", acting for agent '
            '"agent_alpha_co_nudger" of tenant alpha-co: it held a lock apply needed for 10 s'
        ) in applied.out.splitlines()
        assert not alive(agent)
        assert alive(neighbour)
        assert alive(app)
        neighbour.commit()
        app.commit()
    assert sql_cmd("drift", db, generated, TARGET).code == 0
    with db.connect() as admin:
        opened = admin.execute(
            "SELECT tenant, count(*) FROM paybill.runs GROUP BY tenant ORDER BY 1"
        ).fetchall()
    assert opened == [("bravo-labs", 1)]  # the ended session's run was rolled back with it


def test_apply_tries_again_after_a_lock_wait_and_names_who_held_it(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    suspend_alpha_co(fleet)
    compile_to(fleet, generated)
    with db.connect(autocommit=False) as holder:
        holder.execute("LOCK TABLE paybill.tenants IN EXCLUSIVE MODE")
        pid = holder.info.backend_pid
        failed = sql_cmd("apply", db, generated, TARGET, "--lock-timeout", "1.5", "--attempts", "2")
        assert (failed.code, failed.out) == (3, "")
        assert failed.err.splitlines()[0] == (
            f"paybill: apply of target '{TARGET}' changed nothing: 2 attempts each waited more "
            "than 1.5 s for a lock that another session holds (session "
            f'{pid} of login "postgres"); run it again once that session has finished, or '
            "raise --lock-timeout"
        )
        # Released after the first attempt gave up: the next one goes through.
        releasing = threading.Timer(1.5, holder.commit)
        releasing.start()
        try:
            applied = sql_cmd(
                "apply", db, generated, TARGET, "--lock-timeout", "1", "--attempts", "3"
            )
        finally:
            releasing.join()
    assert (applied.code, applied.err) == (0, "")
    assert sql_cmd("drift", db, generated, TARGET).code == 0
