"""Every kind of hand change an attacker with a moment of DBA access would make to a target,
made for real: `paybill sql drift` reports it by name (exit 2), `paybill sql apply` undoes
it, and the database says it is undone. One test per kind."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.sqlops.fleet import FLEET, TARGET
from tests.sqlops.live import compile_to, sql_cmd
from tests.support.postgres import Databases

pytestmark = pytest.mark.postgres
ITEMS = '"order"."work-items"'
APPROVER = "paybill_pool_fleet_eu_approver"


@dataclass(frozen=True)
class Kind:
    """A hand change (`{db}` is the database's name), the lines drift reports for it, and a
    query whose answer shows it is gone after apply."""

    change: tuple[str, ...]
    reported: tuple[str, ...]
    probe: str
    undone: object


KINDS = {
    "membership-of-another-tenants-role": Kind(
        ("GRANT app_bravo_labs TO agent_alpha_co_nudger",),
        (
            'role "agent_alpha_co_nudger" is a member of "app_bravo_labs", which the spec does '
            "not grant",
        ),
        "SELECT pg_has_role('agent_alpha_co_nudger', 'app_bravo_labs', 'MEMBER')",
        False,
    ),
    "approver-granted-to-an-agents-login": Kind(
        (
            "CREATE ROLE runner LOGIN",
            "GRANT agent_alpha_co_nudger TO runner",
            f"GRANT {APPROVER} TO runner",
        ),
        (
            f'role "runner" is a member of the approver role "{APPROVER}" and holds the agent '
            'role "agent_alpha_co_nudger": an agent could approve its own steps',
        ),
        f"SELECT pg_has_role('runner', '{APPROVER}', 'MEMBER')",
        False,
    ),
    "security-definer-function-in-a-managed-schema": Kind(
        (
            'CREATE FUNCTION "order".peek() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER '
            f"AS 'SELECT tenant_id FROM {ITEMS}'",
            'GRANT EXECUTE ON FUNCTION "order".peek() TO app_alpha_co',
        ),
        ('function "order".peek() is not in the spec; it is SECURITY DEFINER',),
        "SELECT count(*) FROM pg_proc WHERE proname = 'peek'",
        0,
    ),
    "function-in-paybills-schema": Kind(
        ("CREATE FUNCTION paybill_api.extra() RETURNS int LANGUAGE sql AS 'SELECT 1'",),
        ("function paybill_api.extra() is not in the spec",),
        "SELECT count(*) FROM pg_proc WHERE proname = 'extra'",
        0,
    ),
    "trigger-on-a-tenant-table": Kind(
        (
            "CREATE TABLE public.stash (row jsonb)",
            "CREATE FUNCTION public.copy() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
            "AS 'BEGIN INSERT INTO public.stash VALUES (to_jsonb(NEW)); RETURN NEW; END'",
            f"CREATE TRIGGER copy AFTER INSERT OR UPDATE ON {ITEMS} "
            "FOR EACH ROW EXECUTE FUNCTION public.copy()",
        ),
        (f'trigger "copy" on {ITEMS} is not in the spec',),
        "SELECT count(*) FROM pg_trigger WHERE tgname = 'copy'",
        0,
    ),
    "rule-on-a-tenant-table": Kind(
        (
            "CREATE TABLE public.stash (id bigint)",
            f"CREATE RULE leak AS ON INSERT TO {ITEMS} DO ALSO INSERT INTO public.stash "
            "VALUES (NEW.id)",
        ),
        (f'rule "leak" on {ITEMS} is not in the spec',),
        "SELECT count(*) FROM pg_rewrite WHERE rulename = 'leak'",
        0,
    ),
    "role-level-settings": Kind(
        (
            "ALTER ROLE agent_alpha_co_nudger SET search_path = public",
            "ALTER ROLE app_alpha_co IN DATABASE {db} SET row_security = off",
        ),
        (
            'role "agent_alpha_co_nudger" has search_path=public set in every database; the '
            "spec sets nothing",
            'role "app_alpha_co" has row_security=off set in database "{db}"; the spec sets '
            "nothing",
        ),
        "SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
        "WHERE r.rolname IN ('agent_alpha_co_nudger', 'app_alpha_co')",
        0,
    ),
    "database-privileges": Kind(
        (
            "GRANT CREATE ON DATABASE {db} TO app_alpha_co",
            "GRANT TEMPORARY, CONNECT ON DATABASE {db} TO agent_alpha_co_nudger",
            "GRANT CREATE ON DATABASE {db} TO PUBLIC",
        ),
        (
            'PUBLIC has CREATE on database "{db}", which the spec does not grant',
            '"agent_alpha_co_nudger" has CONNECT, TEMPORARY on database "{db}", which the spec '
            "does not grant",
            '"app_alpha_co" has CREATE on database "{db}", which the spec does not grant',
        ),
        "SELECT has_database_privilege('app_alpha_co', current_database(), 'CREATE') "
        "OR has_database_privilege('paybill_owner', current_database(), 'CREATE')",
        False,
    ),
    "schema-privileges": Kind(
        ('GRANT CREATE ON SCHEMA "order" TO app_alpha_co',),
        ('"app_alpha_co" has CREATE on schema "order", which the spec does not grant',),
        "SELECT has_schema_privilege('app_alpha_co', 'order', 'CREATE')",
        False,
    ),
    "default-privileges": Kind(
        (
            'ALTER DEFAULT PRIVILEGES FOR ROLE paybill_owner IN SCHEMA "order" '
            "GRANT SELECT ON TABLES TO app_alpha_co",
            "ALTER DEFAULT PRIVILEGES FOR ROLE paybill_owner GRANT EXECUTE ON FUNCTIONS TO "
            "agent_alpha_co_nudger",
        ),
        (
            'default privileges of "paybill_owner" give "agent_alpha_co_nudger" EXECUTE on new '
            "functions, which the spec does not grant",
            'default privileges of "paybill_owner" in schema "order" give "app_alpha_co" SELECT '
            "on new tables, which the spec does not grant",
        ),
        "SELECT count(*) FROM pg_default_acl d JOIN pg_roles r ON r.oid = d.defaclrole "
        "WHERE r.rolname = 'paybill_owner' AND d.defaclacl::text LIKE '%alpha_co%'",
        0,
    ),
    "policy-added": Kind(
        (f'CREATE POLICY "open" ON {ITEMS} USING (true)',),
        (f'policy "open" on {ITEMS} is not in the spec',),
        "SELECT count(*) FROM pg_policy WHERE polname = 'open'",
        0,
    ),
    "policy-changed": Kind(
        (f'ALTER POLICY "tenant_alpha_co" ON {ITEMS} USING (true) WITH CHECK (true)',),
        (
            f'policy "tenant_alpha_co" on {ITEMS} has USING true WITH CHECK true; the spec binds '
            "it to the literal tenant id 'alpha-co'",
        ),
        "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'tenant_alpha_co' "
        'AND polrelid = \'"order"."work-items"\'::regclass',
        "(tenant_id = 'alpha-co'::text)",
    ),
    "row-security-disabled": Kind(
        (f"ALTER TABLE {ITEMS} DISABLE ROW LEVEL SECURITY",),
        (f"row-level security on {ITEMS} is off; the spec says on",),
        "SELECT relrowsecurity FROM pg_class WHERE relname = 'work-items'",
        True,
    ),
    "row-security-not-forced": Kind(
        (f"ALTER TABLE {ITEMS} NO FORCE ROW LEVEL SECURITY",),
        (f"row-level security on {ITEMS} is not forced; the spec says forced",),
        "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'work-items'",
        True,
    ),
    "ownership": Kind(
        (
            f"ALTER TABLE {ITEMS} OWNER TO app_alpha_co",
            'ALTER SCHEMA "order" OWNER TO app_alpha_co',
            "ALTER FUNCTION paybill_api.start_run(text) OWNER TO app_alpha_co",
        ),
        (
            'schema "order" is owned by "app_alpha_co", not "paybill_owner"',
            f'table {ITEMS} is owned by "app_alpha_co", not "paybill_owner"',
            '"app_alpha_co" has CREATE, USAGE on schema "order", which the spec does not grant',
            '"app_alpha_co" has SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER on '
            f"{ITEMS}, which the spec does not grant",
            'function "paybill_api"."start_run" is owned by "app_alpha_co", not "paybill_owner"',
        ),
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE pg_get_userbyid(c.relowner) = 'app_alpha_co' OR pg_get_userbyid(n.nspowner) = "
        "'app_alpha_co'",
        0,
    ),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("attack")
    shutil.copytree(FLEET, root / "spec")
    compile_to(root / "spec", root / "generated")
    return root / "generated"


@pytest.mark.parametrize("kind", KINDS)
def test_a_hand_change_is_reported_by_name_and_undone(
    pg: Databases, generated: Path, kind: str
) -> None:
    case = KINDS[kind]
    db = pg.new()
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    with db.connect() as conn:
        for statement in case.change:
            conn.execute(statement.format(db=db.name).encode())
    drift = sql_cmd("drift", db, generated, TARGET)
    reported = [f"  {line.format(db=db.name)}" for line in case.reported]
    assert (drift.code, drift.out.splitlines()[1:-1]) == (2, reported)
    applied = sql_cmd("apply", db, generated, TARGET)
    assert (applied.code, applied.err) == (0, "")
    assert sql_cmd("drift", db, generated, TARGET).code == 0
    with db.connect() as conn:
        assert conn.execute(case.probe.encode()).fetchone() == (case.undone,)
    with db.connect() as conn:
        conn.execute("DROP TABLE IF EXISTS public.stash")
        conn.execute("DROP FUNCTION IF EXISTS public.copy()")
