"""The statements the files write as loops (roles, policies, function owners) leave the
database exactly as the statements written out one by one, on a real PostgreSQL, with names
that need quoting and hold `%` and quotes."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql, ident
from compiler.emit.sql.state import PolicyState
from tests.support.postgres import Database, Databases

SCHEMA = "we%ird"
TABLES = ("a-b", "it's", "%s")
ROLES = ("app_x%s", "app_y'z")
TENANT = "t'%s"


Bound = Literal["tenant", "caller"]


def _policies(bound: Bound = "tenant") -> list[PolicyState]:
    tenant = TENANT if bound == "tenant" else ""
    return [PolicyState(SCHEMA, t, "tenant_%I", tenant, ROLES, bound) for t in TABLES]


def test_policies_that_differ_in_their_table_share_one_loop() -> None:
    lone = PolicyState(SCHEMA, "other", "tenant_%I", TENANT, ("app_y'z",))
    statements = st.bind_policies([*_policies(), lone], "tenant%id")
    assert len(statements) == 3  # the loop, then the lone policy's DROP and CREATE
    assert statements[0].startswith("DO $paybill$")
    assert statements[0].count("CREATE POLICY") == 1
    assert statements[1] == st.drop_policy(SCHEMA, "other", "tenant_%I", if_exists=True)
    assert statements[2] == st.create_policy(lone, "tenant%id")


def _setup(db: Database, *, roles: bool) -> None:
    """The schema and its tables (and the roles, which are the server's, in the first)."""
    with db.connect() as conn:
        for role in ROLES if roles else ():
            conn.execute(f"CREATE ROLE {ident(role)} NOLOGIN")
        conn.execute(f"CREATE SCHEMA {ident(SCHEMA)}")
        for table in TABLES:
            name = f"{ident(SCHEMA)}.{ident(table)}"
            conn.execute(f'CREATE TABLE {name} ("tenant%id" text)')
            conn.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")


def _run(db: Database, statements: list[Sql]) -> None:
    with db.connect() as conn:
        for statement in statements:
            conn.execute(statement.encode())


def _catalog(db: Database, query: str) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        return sorted(conn.execute(query.encode()).fetchall())


POLICIES = """SELECT schemaname, tablename, policyname, permissive, roles::text, cmd,
  qual, with_check
FROM pg_catalog.pg_policies WHERE schemaname = 'we%ird'"""


@pytest.mark.postgres
@pytest.mark.parametrize("bound", ["tenant", "caller"])
def test_a_loop_of_policies_leaves_what_the_statements_one_by_one_leave(
    pg: Databases, bound: Bound
) -> None:
    policies = _policies(bound)
    one_by_one, looped = pg.new("one"), pg.new("loop")
    for db in (one_by_one, looped):
        _setup(db, roles=db is one_by_one)
        if bound == "caller":  # what the caller's condition reads
            with db.connect() as conn:
                conn.execute('CREATE SCHEMA "paybill"')
                conn.execute('CREATE TABLE "paybill"."agents" ("tenant" text, "role" text)')
                conn.execute(
                    'CREATE FUNCTION "paybill"."caller_role"() RETURNS text LANGUAGE sql '
                    "AS 'SELECT current_user::text'"
                )
    written = [
        s
        for p in policies
        for s in (
            st.drop_policy(p.schema, p.table, p.name, if_exists=True),
            st.create_policy(p, "tenant%id"),
        )
    ]
    _run(one_by_one, written)
    loop = st.bind_policies(policies, "tenant%id")
    assert len(loop) == 1
    _run(looped, loop)
    _run(looped, loop)  # again: it replaces them
    found = _catalog(looped, POLICIES)
    assert len(found) == len(TABLES)
    assert found == _catalog(one_by_one, POLICIES)


MARKED = """SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb,
  r.rolcanlogin, r.rolreplication, r.rolbypassrls, pg_catalog.shobj_description(r.oid, 'pg_authid')
FROM pg_catalog.pg_roles AS r WHERE r.rolname LIKE 'marked%'"""


@pytest.mark.postgres
def test_a_loop_of_roles_creates_and_marks_them_as_the_statements_one_by_one(
    pg: Databases,
) -> None:
    names = ["marked_%s", "marked_'q'"]
    marker = "paybill: managed by sql target pool-%s for tenant 'x'"
    db = pg.new()
    _run(db, [st.create_marked_roles(names, marker)])
    once = _catalog(db, MARKED)
    _run(db, [st.create_marked_roles(names, marker)])  # the roles exist: marked again
    assert _catalog(db, MARKED) == once
    expected = [
        (name, False, True, False, False, False, False, False, marker) for name in sorted(names)
    ]
    assert once == expected


@pytest.mark.postgres
def test_a_loop_of_function_owners_gives_each_function_to_the_owner(pg: Databases) -> None:
    db = pg.new()
    owner = "owner_%s'"
    signatures = [
        Sql('"we%ird"."a.b-c"(uuid, timestamp with time zone[])'),
        Sql('"we%ird"."d"(text[])'),
    ]
    with db.connect() as conn:
        conn.execute(f"CREATE ROLE {ident(owner)} NOLOGIN")
        conn.execute(f"CREATE SCHEMA {ident(SCHEMA)}")
        for signature in signatures:
            conn.execute(f"CREATE FUNCTION {signature} RETURNS void LANGUAGE sql AS ''".encode())
    _run(db, [st.alter_functions_owner(signatures, owner)])
    owners = _catalog(
        db,
        "SELECT p.proname, pg_catalog.pg_get_userbyid(p.proowner) FROM pg_catalog.pg_proc AS p "
        "JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace WHERE n.nspname = 'we%ird'",
    )
    assert owners == [("a.b-c", owner), ("d", owner)]
