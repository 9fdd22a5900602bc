"""Drift and apply against hand-made changes and spec changes, on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sqlops.fleet import TARGET, converged
from tests.sqlops.live import compile_to, effective, expected, seed, sql_cmd
from tests.support.postgres import Databases

pytestmark = pytest.mark.postgres


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def suspend_alpha_co(spec: Path) -> None:
    """alpha-co is the only tenant that is active with an active subscription."""
    edit(
        spec / "tenants.yaml",
        "pool: fleet-eu\n  state: active\n  subscription: {status: active}",
        "pool: fleet-eu\n  state: suspended\n  subscription: {status: active}",
    )


HAND_MADE = [
    'GRANT SELECT ON TABLE "order"."user-accounts" TO agent_alpha_co_nudger',
    'GRANT UPDATE ("select") ON "order"."work-items" TO paybill_pool_fleet_eu_workflow_stale_items'
    " WITH GRANT OPTION",
    'GRANT SELECT ("id") ON "order"."work-items" TO paybill_pool_fleet_eu_workflow_stale_items'
    " WITH GRANT OPTION",
    'GRANT SELECT ON "order"."work-items" TO PUBLIC',
    'GRANT USAGE, CREATE ON SCHEMA "order" TO PUBLIC',
    "ALTER ROLE app_alpha_co LOGIN BYPASSRLS",
    "GRANT app_bravo_labs TO app_alpha_co",
    "GRANT paybill_pool_fleet_eu_app TO app_echo_inc WITH ADMIN OPTION",
    'ALTER TABLE "order"."user-accounts" NO FORCE ROW LEVEL SECURITY',
    'CREATE POLICY "open" ON "order"."work-items" USING (true)',
    'ALTER POLICY "tenant_echo_inc" ON "order"."work-items" TO app_echo_inc, app_alpha_co',
    'ALTER TABLE "order"."work-items" OWNER TO app_foxtrot',
    "COMMENT ON ROLE app_delta_ltd IS NULL",
]

REPORTED = """\
pool-fleet-eu: 13 differences from the compiled state
  role "app_alpha_co" is LOGIN BYPASSRLS; the spec says NOLOGIN NOBYPASSRLS
  role "app_delta_ltd" is not marked as managed by paybill
  role "app_alpha_co" is a member of "app_bravo_labs", which the spec does not grant
  role "app_echo_inc" may grant "paybill_pool_fleet_eu_app" to others (ADMIN OPTION)
  table "order"."work-items" is owned by "app_foxtrot", not "paybill_owner"
  PUBLIC has CREATE, USAGE on schema "order", which the spec does not grant
  "agent_alpha_co_nudger" has SELECT on "order"."user-accounts", which the spec does not grant
  PUBLIC has SELECT on "order"."work-items", which the spec does not grant
  "app_foxtrot" has SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER on \
"order"."work-items", which the spec does not grant
  "paybill_pool_fleet_eu_workflow_stale_items" has SELECT ("id"), UPDATE ("select") on \
"order"."work-items", which the spec does not grant
  row-level security on "order"."user-accounts" is not forced; the spec says forced
  policy "open" on "order"."work-items" is not in the spec
  policy "tenant_echo_inc" on "order"."work-items" names roles app_alpha_co, app_echo_inc; \
the spec names app_echo_inc
run: paybill sql apply --target pool-fleet-eu --dsn DSN
"""


def test_hand_made_widenings_are_reported_and_removed(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated, seeded=False)
    with db.connect() as conn:
        # A deployment's own roles: not managed, so never changed.
        conn.execute("CREATE ROLE reporting NOLOGIN")
        conn.execute('GRANT SELECT ON "order"."work-items" TO reporting')
        conn.execute("CREATE ROLE deploy_alpha LOGIN")
        conn.execute("GRANT app_alpha_co TO deploy_alpha")
        for statement in HAND_MADE:
            conn.execute(statement.encode())
    drift = sql_cmd("drift", db, generated, TARGET)
    assert (drift.code, drift.out, drift.err) == (2, REPORTED, "")
    applied = sql_cmd("apply", db, generated, TARGET)
    assert applied.code == 0
    assert applied.out.splitlines()[0] == f"{TARGET}: applied 13 changes in one transaction"
    assert applied.out.splitlines()[1:] == REPORTED.splitlines()[1:-1]
    assert sql_cmd("drift", db, generated, TARGET).code == 0
    with db.connect() as conn:
        reporting = conn.execute(
            "SELECT has_table_privilege('reporting', '\"order\".\"work-items\"', 'SELECT')"
        ).fetchone()
        deploy = conn.execute("SELECT pg_has_role('deploy_alpha', 'app_alpha_co', 'MEMBER')")
        owner = conn.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'work-items'"
        ).fetchone()
        assert (reporting, deploy.fetchone(), owner) == ((True,), (True,), ("paybill_owner",))


def test_removing_a_step_revokes_exactly_its_privileges(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    before_state = compile_to(fleet, generated)[TARGET]
    db = converged(pg, fleet, generated, seeded=False)
    with db.connect() as conn:
        before = effective(conn, [r.name for r in before_state.roles], before_state)
    edit(
        fleet / "agents.yaml",
        "    - id: mark\n      after: [post]\n"
        "      query: {table: work-items, operation: update, columns: [nudged], where: [id]}\n",
        "",
    )
    state = compile_to(fleet, generated)[TARGET]
    drift = sql_cmd("drift", db, generated, TARGET)
    assert drift.out.splitlines()[1:-1] == [
        '  "paybill_pool_fleet_eu_steps" has UPDATE ("nudged") on "order"."work-items", which '
        "the spec does not grant",
        '  function paybill_api."stale-items.mark"(uuid,boolean,bigint[]) is not in the spec',
        "  row 'stale-items' of paybill.workflows has steps {find, post, mark}; the spec says "
        "{find, post}",
    ]
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    with db.connect() as conn:
        after = effective(conn, [r.name for r in state.roles], state)
        functions = conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proname = 'stale-items.mark'"
        ).fetchone()
    # Only the steps role held it: the nudgers never had a table privilege.
    assert before - after == {("paybill_pool_fleet_eu_steps", "work-items", "UPDATE", "nudged")}
    assert functions == (0,)
    assert after - before == set()
    assert sql_cmd("drift", db, generated, TARGET).code == 0


def test_tenants_leaving_active_lose_agents_and_write_access_but_keep_rows(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    state = compile_to(fleet, generated)[TARGET]
    db = converged(pg, fleet, generated, seeded=False)
    seed(db, state)
    tenants = fleet / "tenants.yaml"
    suspend_alpha_co(fleet)
    edit(
        tenants,
        "  state: offboarding\n  subscription: {status: canceled}",
        "  state: deleted\n  subscription: {status: canceled}\n  confirmDataDeletion: foxtrot",
    )
    after = compile_to(fleet, generated)[TARGET]
    drift = sql_cmd("drift", db, generated, TARGET)
    assert drift.out == (
        "pool-fleet-eu: 9 differences from the compiled state\n"
        '  role "app_alpha_co" is a member of "paybill_pool_fleet_eu_app", which the spec does '
        "not grant\n"
        '  role "app_alpha_co" is not a member of "paybill_pool_fleet_eu_app_readonly"\n'
        '  policy "tenant_foxtrot" on "order"."user-accounts" is not in the spec\n'
        '  policy "tenant_foxtrot" on "order"."work-items" is not in the spec\n'
        "  row 'agent_alpha_co_nudger' of paybill.agents is not in the spec\n"
        "  row 'foxtrot' of paybill.tenants is not in the spec\n"
        "  row 'alpha-co' of paybill.tenants has state 'active'; the spec says 'suspended'\n"
        '  role "agent_alpha_co_nudger" is no longer in the spec: its privileges go and it is '
        "dropped\n"
        '  role "app_foxtrot" is no longer in the spec: its privileges go and it is dropped\n'
        "run: paybill sql apply --target pool-fleet-eu --dsn DSN\n"
    )
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    assert sql_cmd("drift", db, generated, TARGET).code == 0
    with db.connect() as conn:
        names = conn.execute("SELECT rolname FROM pg_roles WHERE rolname ~ '(alpha_co|foxtrot)'")
        roles = {r[0] for r in names}
        assert roles == {"app_alpha_co"}
        now = effective(conn, ["app_alpha_co"], after)
        assert now == {p for p in expected(after) if p[0] == "app_alpha_co"}
        assert {p[2] for p in now} == {"SELECT"}  # suspended: read-only
        kept = conn.execute(
            """SELECT count(*) FROM "order"."work-items" WHERE tenant_id = 'foxtrot'"""
        ).fetchone()
        assert kept == (2,)


def test_a_retired_role_holding_other_privileges_stops_apply_and_changes_nothing(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated, seeded=False)
    suspend_alpha_co(fleet)
    compile_to(fleet, generated)
    with db.connect() as conn:
        conn.execute("CREATE TABLE public.notes (x int)")
        conn.execute("GRANT SELECT ON public.notes TO agent_alpha_co_nudger")
    pending = sql_cmd("drift", db, generated, TARGET)
    assert pending.code == 2
    failed = sql_cmd("apply", db, generated, TARGET)
    assert (failed.code, failed.out) == (3, "")
    assert failed.err == (
        "paybill: apply of target 'pool-fleet-eu' failed and changed nothing: role "
        '"agent_alpha_co_nudger" cannot be dropped because some objects depend on it '
        "(privileges for table public.notes); the role is no longer in the spec but still holds "
        "privileges on objects paybill does not manage: revoke those by hand, then apply again\n"
        '  while running: DROP ROLE "agent_alpha_co_nudger";\n'
    )
    assert sql_cmd("drift", db, generated, TARGET) == pending  # nothing was applied
    with db.connect() as conn:
        conn.execute("REVOKE SELECT ON public.notes FROM agent_alpha_co_nudger")
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    assert sql_cmd("drift", db, generated, TARGET).code == 0


def test_type_and_nullability_changes_are_reported_but_left_to_a_migration(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated, seeded=False)
    with db.connect() as conn:
        conn.execute('ALTER TABLE "order"."work-items" ALTER COLUMN "select" TYPE varchar(10)')
        conn.execute('ALTER TABLE "order"."user-accounts" ALTER COLUMN "last-seen" SET NOT NULL')
    left = [
        '  column "last-seen" of "order"."user-accounts" is NOT NULL in the database but '
        "nullable in the spec; apply leaves it: this needs a migration",
        '  column "select" of "order"."work-items" is character varying(10) in the database but '
        "text in the spec; apply leaves it: changing a type needs a migration",
    ]
    drift = sql_cmd("drift", db, generated, TARGET)
    assert drift.code == 2
    assert drift.out.splitlines() == [f"{TARGET}: 2 differences from the compiled state", *left]
    applied = sql_cmd("apply", db, generated, TARGET)
    assert applied.code == 0
    assert applied.out.splitlines() == [
        f"{TARGET}: nothing to apply (15 roles, 2 tables, 14 policies checked)",
        *(f"  not changed: {line.strip()}" for line in left),
    ]


RUNS_HAND_MADE = [
    # A function altered by hand: its body, its security, its settings, its owner.
    """CREATE OR REPLACE FUNCTION paybill_api."stale-items.mark"(run uuid, nudged boolean,
         "where.id" bigint[]) RETURNS bigint LANGUAGE sql SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
         AS 'UPDATE "order"."work-items" SET nudged = $2 RETURNING 1'""",
    "ALTER FUNCTION paybill_api.start_run(text) SECURITY INVOKER",
    "ALTER FUNCTION paybill.refuse_step(uuid, text, text, text[]) SET search_path = public",
    "ALTER FUNCTION paybill_api.finish_run(uuid) OWNER TO app_alpha_co",
    # Who may call them.
    "GRANT EXECUTE ON FUNCTION paybill_api.approve(uuid, text, jsonb, text, interval) TO PUBLIC",
    'REVOKE EXECUTE ON FUNCTION paybill_api."dormant-accounts.remove"(uuid, uuid[]) '
    "FROM paybill_pool_fleet_eu_workflow_dormant_accounts",
    "CREATE FUNCTION paybill_api.extra() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    # paybill's rows and the database's session limits.
    "UPDATE paybill.agents SET runs_per_day = 1000000 WHERE role = 'agent_alpha_co_nudger'",
    "INSERT INTO paybill.tenants VALUES ('intruder', 'active', NULL)",
    "ALTER DATABASE {database} SET lock_timeout = 0",
    "ALTER DATABASE {database} RESET idle_in_transaction_session_timeout",
]

RUNS_REPORTED = """\
pool-fleet-eu: 11 differences from the compiled state
  sessions of database "{database}" get idle_in_transaction_session_timeout unset; the spec \
says '60s'
  sessions of database "{database}" get lock_timeout '0'; the spec says '10s'
  function paybill_api.extra() is not in the spec
  function "paybill"."refuse_step" differs from the spec in its settings
  function "paybill_api"."start_run" differs from the spec in SECURITY DEFINER
  function "paybill_api"."finish_run" is owned by "app_alpha_co", not "paybill_owner"
  PUBLIC has EXECUTE on "paybill_api"."approve", which the spec does not grant
  "paybill_pool_fleet_eu_workflow_dormant_accounts" lacks EXECUTE on \
"paybill_api"."dormant-accounts.remove"
  function "paybill_api"."stale-items.mark" differs from the spec in its body, its settings, \
its language
  row 'agent_alpha_co_nudger' of paybill.agents has runs_per_day 1000000; the spec says 100
  row 'intruder' of paybill.tenants is not in the spec
run: paybill sql apply --target pool-fleet-eu --dsn DSN
"""


def test_hand_made_changes_to_functions_rows_and_settings_are_reported_and_undone(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated, seeded=False)
    with db.connect() as conn:
        for statement in RUNS_HAND_MADE:
            conn.execute(statement.format(database=db.name).encode())
    drift = sql_cmd("drift", db, generated, TARGET)
    assert (drift.code, drift.out) == (2, RUNS_REPORTED.format(database=db.name))
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    assert sql_cmd("drift", db, generated, TARGET).code == 0
    with db.connect() as conn:
        body = conn.execute(
            "SELECT prosrc FROM pg_proc WHERE proname = 'stale-items.mark'"
        ).fetchone()
        assert body is not None
        assert "refuse_step" in str(body[0])
        settings = conn.execute(
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = "
            "s.setdatabase WHERE d.datname = current_database() AND s.setrole = 0"
        ).fetchone()
        assert settings == (["lock_timeout=10s", "idle_in_transaction_session_timeout=60s"],)


def test_memberships_granted_to_roles_paybill_does_not_manage(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    """A deployment's login roles hold their own tenant's application role; one holding the
    owner role, or another tenant's role, is drift."""
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated, seeded=False)
    with db.connect() as conn:
        conn.execute("CREATE ROLE login_alpha_co LOGIN")
        conn.execute("GRANT app_alpha_co TO login_alpha_co")  # expected: left alone
        conn.execute("GRANT paybill_owner TO login_alpha_co")
        conn.execute("GRANT app_bravo_labs TO login_alpha_co")
        conn.execute("CREATE ROLE reporting NOLOGIN")
        conn.execute("GRANT app_alpha_co, app_echo_inc TO reporting")
    reported = [
        '  login role "login_alpha_co" of tenant alpha-co is a member of "app_bravo_labs", a '
        "role of tenant bravo-labs",
        '  role "login_alpha_co" is a member of the owner role "paybill_owner": it could alter '
        "or drop every table and turn row-level security off",
        '  role "reporting" holds roles of several tenants (alpha-co, echo-inc); revoke the ones '
        "it should not have",
    ]
    drift = sql_cmd("drift", db, generated, TARGET)
    assert drift.code == 2
    assert drift.out.splitlines()[1:-1] == reported
    applied = sql_cmd("apply", db, generated, TARGET)
    assert applied.out.splitlines()[1:] == [
        *reported[:2],
        "  not changed: " + reported[2].strip(),
    ]
    again = sql_cmd("drift", db, generated, TARGET)
    assert again.out.splitlines()[1:] == [reported[2]]
    with db.connect() as conn:
        held = conn.execute(
            "SELECT pg_has_role('login_alpha_co', 'app_alpha_co', 'MEMBER'), "
            "pg_has_role('login_alpha_co', 'paybill_owner', 'MEMBER'), "
            "pg_has_role('login_alpha_co', 'app_bravo_labs', 'MEMBER')"
        ).fetchone()
    assert held == (True, False, False)
