"""Drift and apply against hand-made changes and spec changes, on a real PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.sqlops.live import compile_to, effective, expected, seed, sql_cmd
from tests.support.postgres import Database, Databases

pytestmark = pytest.mark.postgres
FLEET = next(p for p in EXAMPLES if p.name == "pooled-fleet")
TARGET = "pool-fleet-eu"
NUDGERS = ("agent_alpha_co_nudger", "agent_bravo_labs_nudger", "agent_echo_inc_nudger")


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A copy of the pooled-fleet example that a test may edit."""
    spec = tmp_path / "spec"
    shutil.copytree(FLEET, spec)
    return spec


def converged(pg: Databases, spec: Path, generated: Path) -> Database:
    compile_to(spec, generated)
    db = pg.new()
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    return db


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
pool-fleet-eu: 14 differences from the compiled state
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
  "paybill_pool_fleet_eu_workflow_stale_items" has UPDATE ("select") on \
"order"."work-items", which the spec does not grant
  "paybill_pool_fleet_eu_workflow_stale_items" may grant SELECT ("id") on "order"."work-items" to \
others (WITH GRANT OPTION)
  row-level security on "order"."user-accounts" is not forced; the spec says forced
  policy "open" on "order"."work-items" is not in the spec
  policy "tenant_echo_inc" on "order"."work-items" names roles app_alpha_co, app_echo_inc; \
the spec names agent_echo_inc_nudger, app_echo_inc
run: paybill sql apply --target pool-fleet-eu --dsn DSN
"""


def test_hand_made_widenings_are_reported_and_removed(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
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
    assert applied.out.splitlines()[0] == f"{TARGET}: applied 14 changes in one transaction"
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
    db = converged(pg, fleet, generated)
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
        '  "paybill_pool_fleet_eu_workflow_stale_items" has UPDATE ("nudged") on '
        '"order"."work-items", which the spec does not grant',
    ]
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    with db.connect() as conn:
        after = effective(conn, [r.name for r in state.roles], state)
    assert before - after == {
        (role, "work-items", "UPDATE", "nudged")
        for role in (*NUDGERS, "paybill_pool_fleet_eu_workflow_stale_items")
    }
    assert after - before == set()
    assert sql_cmd("drift", db, generated, TARGET).code == 0


def test_tenants_leaving_active_lose_agents_and_write_access_but_keep_rows(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    state = compile_to(fleet, generated)[TARGET]
    db = converged(pg, fleet, generated)
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
        "pool-fleet-eu: 8 differences from the compiled state\n"
        '  role "app_alpha_co" is a member of "paybill_pool_fleet_eu_app", which the spec does '
        "not grant\n"
        '  role "app_alpha_co" is not a member of "paybill_pool_fleet_eu_app_readonly"\n'
        '  policy "tenant_alpha_co" on "order"."user-accounts" names roles '
        "agent_alpha_co_nudger, app_alpha_co; the spec names app_alpha_co\n"
        '  policy "tenant_foxtrot" on "order"."user-accounts" is not in the spec\n'
        '  policy "tenant_alpha_co" on "order"."work-items" names roles agent_alpha_co_nudger, '
        "app_alpha_co; the spec names app_alpha_co\n"
        '  policy "tenant_foxtrot" on "order"."work-items" is not in the spec\n'
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
    db = converged(pg, fleet, generated)
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
        "(privileges for table notes); the role is no longer in the spec but still holds "
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
    db = converged(pg, fleet, generated)
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
        f"{TARGET}: nothing to apply (13 roles, 2 tables, 12 policies checked)",
        *(f"  not changed: {line.strip()}" for line in left),
    ]


def test_memberships_granted_to_roles_paybill_does_not_manage(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    """A deployment's login roles hold their own tenant's application role; one holding the
    owner role, or another tenant's role, is drift."""
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
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
