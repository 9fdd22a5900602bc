"""What a tenant's session can hold up, and what the files do on their own.

`paybill sql apply` locks a table no tenant role may even name, waits for every lock at most
`--lock-timeout` and exits 3 past it, changing nothing. Sessions of a managed database get
lock and idle-in-transaction limits. Applying the files alone (the psql route) gives a
suspended tenant exactly what `paybill sql apply` gives it: no agents, read-only rows."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.sqlops.fleet import ITEMS, TARGET, converged
from tests.sqlops.live import apply_files, compile_to, login, seed, sql_cmd
from tests.sqlops.steps import start
from tests.support.postgres import Databases

pytestmark = pytest.mark.postgres


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def first_line(error: pytest.ExceptionInfo[psycopg.Error]) -> str:
    return str(error.value).splitlines()[0]


def test_a_tenant_role_can_neither_take_nor_hold_the_apply_lock(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    with login(db, "app_alpha_co") as tenant:
        # The key of the advisory lock apply used to take: anyone could compute it.
        tenant.execute("SELECT pg_advisory_lock(hashtext('paybill sql apply pool-fleet-eu'))")
        for statement in (
            "LOCK TABLE paybill.apply_lock IN ACCESS SHARE MODE",
            "PREPARE held AS SELECT * FROM paybill.apply_lock FOR UPDATE",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
                tenant.execute(statement.encode())
            tenant.rollback()
            assert first_line(raised) == "permission denied for schema paybill"
        tenant.execute("SELECT pg_advisory_lock(hashtext('paybill sql apply pool-fleet-eu'))")
        run = sql_cmd("apply", db, generated, TARGET, "--lock-timeout", "2")
        assert (run.code, run.err) == (0, "")


def test_apply_waits_for_another_apply_only_as_long_as_it_is_told(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    with db.connect(autocommit=False) as other:
        other.execute("LOCK TABLE paybill.apply_lock IN EXCLUSIVE MODE")
        run = sql_cmd("apply", db, generated, TARGET, "--lock-timeout", "0.5", "--attempts", "2")
    assert (run.code, run.out, run.err) == (
        3,
        "",
        "paybill: apply of target 'pool-fleet-eu' changed nothing: another paybill sql apply "
        "of this database held its lock for more than 0.5 s at each of 2 attempts; run it "
        "again once that one has finished (or raise --lock-timeout)\n",
    )


def test_a_session_holding_a_table_apply_must_change_makes_it_stop_not_hang(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    edit(
        fleet / "schema.yaml",
        "    - {name: nudged, type: boolean}\n",
        "    - {name: nudged, type: boolean}\n    - {name: note, type: text, nullable: true}\n",
    )
    compile_to(fleet, generated)
    with login(db, "app_alpha_co") as tenant:
        tenant.execute(f"SELECT count(*) FROM {ITEMS}".encode())  # holds a lock until it ends
        pid = tenant.info.backend_pid
        run = sql_cmd("apply", db, generated, TARGET, "--lock-timeout", "1.5", "--attempts", "1")
    assert (run.code, run.out) == (3, "")
    # The application's session is waited for, never ended: it is no agent apply removes.
    assert run.err == (
        "paybill: apply of target 'pool-fleet-eu' changed nothing: it waited more than 1.5 s "
        f'for a lock that another session holds (session {pid} of login "login_app_alpha_co"); '
        "run it again once that session has finished, or raise --lock-timeout\n"
        f'  while running: ALTER TABLE {ITEMS} ADD COLUMN IF NOT EXISTS "note" text;\n'
    )
    assert sql_cmd("apply", db, generated, TARGET).code == 0  # once the session is gone


def test_who_may_lock_a_shared_table_and_for_how_long(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    exclusive = f"LOCK TABLE {ITEMS} IN ACCESS EXCLUSIVE MODE".encode()
    for role, error in (
        ("agent_alpha_co_nudger", "permission denied for schema order"),
        ("app_delta_ltd", "permission denied for table work-items"),  # suspended: read-only
    ):
        with login(db, role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
            conn.execute(exclusive)
        assert first_line(raised) == error
    with db.connect() as admin:
        # A NOLOGIN role's settings never reach its members' sessions: why the limits are
        # the database's.
        admin.execute("ALTER ROLE app_alpha_co SET lock_timeout = '3s'")
    with login(db, "app_alpha_co") as writer:
        # What remains: DELETE, which has no column-level form, lets a read-write application
        # take any lock on its tables; its sessions are bounded as every session is.
        writer.execute(exclusive)
        shown = [
            writer.execute(f"SHOW {name}".encode()).fetchone()
            for name in ("lock_timeout", "idle_in_transaction_session_timeout")
        ]
        assert shown == [("10s",), ("1min",)]


def test_files_alone_take_a_suspended_tenants_writes_and_agents(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    state = compile_to(fleet, generated)[TARGET]
    db = pg.new()
    apply_files(db, generated, TARGET)
    rows = seed(db, state)
    key = rows[("work-items", "alpha-co")][0]["id"]
    update = f"UPDATE {ITEMS} SET nudged = true WHERE id = %s".encode()
    with login(db, "app_alpha_co") as app:
        assert app.execute(update, [key]).rowcount == 1
        app.commit()
    with login(db, "agent_alpha_co_nudger", autocommit=True) as agent:
        start(agent, "stale-items")
        edit(
            fleet / "tenants.yaml",
            "pool: fleet-eu\n  state: active\n  subscription: {status: active}",
            "pool: fleet-eu\n  state: suspended\n  subscription: {status: active}",
        )
        compile_to(fleet, generated)
        apply_files(db, generated, TARGET)  # the files only, no paybill sql apply
        # Its role is gone, and with it every way into the step functions.
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
            start(agent, "stale-items")
        assert first_line(raised) == "permission denied for schema paybill_api"
    with login(db, "app_alpha_co") as app:
        for statement in (
            update,
            f"DELETE FROM {ITEMS} WHERE id = %s".encode(),
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
                app.execute(statement, [key])
            app.rollback()
            assert first_line(raised) == "permission denied for table work-items"
        assert len(app.execute(f"SELECT id FROM {ITEMS}".encode()).fetchall()) == 2
    with db.connect() as admin:
        assert admin.execute(
            "SELECT state FROM paybill.tenants WHERE tenant = 'alpha-co'"
        ).fetchall() == [("suspended",)]
        assert admin.execute(
            "SELECT count(*) FROM paybill.agents WHERE tenant = 'alpha-co'"
        ).fetchone() == (0,)
    # The files and `paybill sql apply` agree: there is nothing left to converge.
    assert sql_cmd("drift", db, generated, TARGET).code == 0


def test_what_a_pooled_tenant_can_still_learn_about_the_others(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    """The side channels the README's security model lists, as PostgreSQL 15 has them."""
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)  # two rows for each of the six tenants
    with db.connect() as admin:
        admin.execute(f"ANALYZE {ITEMS}".encode())
    with login(db, "app_alpha_co") as tenant:
        # Not a channel: row-level security applies, so the statistics are hidden.
        assert tenant.execute(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'work-items'"
        ).fetchone() == (0,)
        # Channels: every tenant's rows counted, every tenant named.
        assert tenant.execute(
            "SELECT reltuples FROM pg_class WHERE relname = 'work-items'"
        ).fetchone() == (12.0,)
        named = tenant.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = 'work-items'"
        ).fetchone()
        assert named == (7,)  # six tenants' policies and the steps role's
        roles = tenant.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'app\\_%'")
        assert roles.fetchone() == (6,)  # every tenant of the pool, by name
        sizes = tenant.execute(
            "SELECT pg_relation_size(relid) > 0, n_live_tup IS NOT NULL FROM "
            "pg_stat_user_tables WHERE relname = 'work-items'"
        )
        assert sizes.fetchone() == (True, True)  # the table's size and activity counters
        tenant.execute("SET enable_indexscan = off")
        tenant.execute("SET enable_bitmapscan = off")
        explain = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"
        plan = [row[0] for row in tenant.execute(f"{explain} SELECT * FROM {ITEMS}".encode())]
        assert "  Rows Removed by Filter: 10" in plan  # the other five tenants' rows


def test_what_an_agent_and_a_read_only_tenant_cannot_learn_or_hold(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    """The side channels that are closed: an agent has no privilege on any table, so it can
    neither lock, nor read statistics of, nor EXPLAIN a tenant table; no tenant role can read
    paybill's runs, approvals or other tenants' entitlements; a suspended (read-only)
    application may lock its tables only in ACCESS SHARE mode, which blocks no one's rows."""
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    with db.connect() as admin:
        admin.execute(f"ANALYZE {ITEMS}".encode())
    for statement, error in (
        (f"LOCK TABLE {ITEMS} IN ROW EXCLUSIVE MODE", "permission denied for schema order"),
        (f"EXPLAIN SELECT * FROM {ITEMS}", "permission denied for schema order"),
        ("SELECT count(*) FROM paybill.runs", "permission denied for schema paybill"),
        ("SELECT * FROM paybill.tenants", "permission denied for schema paybill"),
        ("SELECT * FROM paybill.approvals", "permission denied for schema paybill"),
    ):
        with login(db, "agent_alpha_co_nudger") as agent:
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
                agent.execute(statement.encode())
            assert first_line(raised) == error
    with login(db, "agent_alpha_co_nudger") as agent:
        hidden = agent.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'work-items'")
        assert hidden.fetchone() == (0,)
        own = agent.execute("SELECT tenant FROM paybill_api.entitlements()").fetchall()
        assert own == [("alpha-co",)]
    with login(db, "app_delta_ltd") as suspended:  # read-only
        suspended.execute(f"LOCK TABLE {ITEMS} IN ACCESS SHARE MODE".encode())
        suspended.rollback()
        for mode in ("ROW SHARE", "ROW EXCLUSIVE", "SHARE", "EXCLUSIVE"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
                suspended.execute(f"LOCK TABLE {ITEMS} IN {mode} MODE".encode())
            suspended.rollback()
            assert first_line(raised) == "permission denied for table work-items"
