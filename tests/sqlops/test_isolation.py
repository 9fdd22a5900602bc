"""Tenant isolation on a real PostgreSQL, for every pool of every spec set.

For each pair of tenants (A, B) sharing a pool and each role of A that may use tables (the
application's; agents act only through functions, see test_steps.py), connected through a
login role that is granted only A's role (as a deployment does): B's rows are invisible
and cannot be updated, deleted or inserted, with and without session tricks (custom
settings, row_security off, SET ROLE / SET SESSION AUTHORIZATION to another tenant, the
owner or the privilege profile), and B's keys do not collide with A's. Then, for every
managed role of every target, each column is probed for SELECT, INSERT and UPDATE: exactly
what the spec grants is allowed, and nothing to an agent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from compiler.emit.sql.state import RoleState, TableState, TargetState
from tests.conftest import AGENT_SPECS, EXAMPLES, WriteSpec
from tests.emit.sql.specs import KEYWORDS
from tests.sqlops.live import (
    Conn,
    Privilege,
    compile_to,
    effective,
    expected,
    login,
    row,
    seed,
    sql_cmd,
)
from tests.support.postgres import Databases

pytestmark = pytest.mark.postgres
SPEC_SETS = [*AGENT_SPECS, None]  # None: the keywords spec
FLEET = next(p for p in EXAMPLES if p.name == "pooled-fleet")


@dataclass(frozen=True)
class Probe:
    ok: bool
    rows: list[tuple[Any, ...]]
    rowcount: int
    error: str


def probe(conn: Conn, *steps: str | tuple[sql.Composed | str, list[str]]) -> Probe:
    """Run the steps in one transaction, then roll it back (settings included)."""
    try:
        cur = None
        for step in steps:
            query, params = (step, None) if isinstance(step, str) else step
            cur = conn.execute(query.encode() if isinstance(query, str) else query, params)
        assert cur is not None
        rows = cur.fetchall() if cur.description else []
        return Probe(True, rows, cur.rowcount, "")
    except psycopg.errors.InsufficientPrivilege as exc:
        return Probe(False, [], 0, str(exc).splitlines()[0])
    finally:
        conn.rollback()


def name(table: TableState) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(table.schema), sql.Identifier(table.name))


def prepared(
    spec_dir: Path | None, write_spec: WriteSpec, tmp_path: Path
) -> tuple[Path, dict[str, TargetState]]:
    spec_dir = spec_dir or write_spec(KEYWORDS)
    generated = tmp_path / "generated"
    return generated, compile_to(spec_dir, generated)


# -- the cross-tenant matrix ------------------------------------------------------------
@pytest.mark.parametrize("spec_dir", SPEC_SETS, ids=lambda p: p.name if p else "keywords")
def test_cross_tenant_matrix(
    spec_dir: Path | None, write_spec: WriteSpec, pg: Databases, tmp_path: Path
) -> None:
    generated, states = prepared(spec_dir, write_spec, tmp_path)
    pools = [s for t, s in states.items() if t.startswith("pool-")]
    checked = 0
    for state in pools:
        tenants = sorted({r.tenant for r in state.roles if r.tenant is not None})
        if len(tenants) < 2:
            continue
        db = pg.new(state.target)
        assert sql_cmd("apply", db, generated, state.target).code == 0
        rows = seed(db, state)
        allowed = expected(state)
        for role in (r for r in state.roles if r.tenant is not None):
            with login(db, role.name) as conn:
                for other in tenants:
                    if other != role.tenant:
                        checked += cross_tenant(conn, state, role, other, rows, allowed)
                checked += session_tricks(conn, state, role, tenants, rows, allowed)
    if spec_dir is not None and spec_dir.name == "silo-enterprise":
        assert checked == 0  # no pools: every tenant has its own database
    else:
        assert checked > 30


def readable(role: RoleState, table: TableState, allowed: set[Privilege]) -> str | None:
    """A column the role may read, the primary key if it can."""
    columns = [
        c.name for c in table.columns if (role.name, table.name, "SELECT", c.name) in allowed
    ]
    key = table.primary_key[0]
    return key if key in columns else (columns[0] if columns else None)


def visible(conn: Conn, table: TableState, column: str, *before: str) -> Probe:
    query = sql.SQL("SELECT {} FROM {} ORDER BY 1").format(sql.Identifier(column), name(table))
    return probe(conn, *before, (query, []))


def own_values(
    rows: dict[tuple[str, str], list[dict[str, str]]], table: TableState, tenant: str, column: str
) -> list[str]:
    return sorted(r[column] for r in rows[(table.name, tenant)])


def scoped(state: TargetState) -> Iterator[TableState]:
    return (t for t in state.tables if t.tenant_scoped)


def cross_tenant(
    conn: Conn,
    state: TargetState,
    role: RoleState,
    other: str,
    rows: dict[tuple[str, str], list[dict[str, str]]],
    allowed: set[Privilege],
) -> int:
    """B's rows for role of A: invisible, not updatable, not deletable, not insertable."""
    checks = 0
    tenant = role.tenant
    assert tenant is not None
    for table in scoped(state):
        key = table.primary_key[0]
        key_type = next(c.type for c in table.columns if c.name == key)
        theirs = rows[(table.name, other)][0][key]
        by_key = sql.SQL("{} = %s::" + key_type).format(sql.Identifier(key))
        column = readable(role, table, allowed)
        if column is not None:
            seen = visible(conn, table, column)
            assert seen.ok, seen.error
            assert sorted(str(v[0]) for v in seen.rows) == own_values(rows, table, tenant, column)
            checks += 1
        can_key = (role.name, table.name, "SELECT", key) in allowed
        if can_key:
            query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(name(table), by_key)
            assert probe(conn, (query, [theirs])).rows == [(0,)]
            checks += 1
        updatable = [
            c for c in table.columns if (role.name, table.name, "UPDATE", c.name) in allowed
        ]
        for column_ in updatable if can_key else []:
            update = sql.SQL("UPDATE {} SET {} = %s::" + column_.type + " WHERE {}").format(
                name(table), sql.Identifier(column_.name), by_key
            )
            result = probe(conn, (update, [rows[(table.name, other)][0][column_.name], theirs]))
            assert (result.ok, result.rowcount) == (True, 0), (role.name, column_.name, result)
            checks += 1
        if (role.name, table.name, "DELETE", None) in allowed and can_key:
            delete = sql.SQL("DELETE FROM {} WHERE {}").format(name(table), by_key)
            assert probe(conn, (delete, [theirs])).rowcount == 0
            checks += 1
        checks += inserts(conn, state, role, table, other, allowed)
    return checks


def inserts(
    conn: Conn,
    state: TargetState,
    role: RoleState,
    table: TableState,
    other: str,
    allowed: set[Privilege],
) -> int:
    """Where the role may insert rows at all: another tenant's id is refused by the
    policy, its own id is accepted."""
    insertable = {
        c.name for c in table.columns if (role.name, table.name, "INSERT", c.name) in allowed
    }
    required = {c.name for c in table.columns if not c.nullable}
    if not insertable >= required:
        return 0
    tenant = role.tenant
    assert tenant is not None
    results = {}
    for who in (other, tenant):
        values = row(table, state.tenant_column, who, 9, 900)
        values = {k: v for k, v in values.items() if k in insertable}
        types = {c.name: c.type for c in table.columns}
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            name(table),
            sql.SQL(", ").join(sql.Identifier(k) for k in sorted(values)),
            sql.SQL(", ").join(sql.SQL("%s::" + types[k]) for k in sorted(values)),
        )
        results[who] = probe(conn, (query, [values[k] for k in sorted(values)]))
    assert results[other].error == (
        f'new row violates row-level security policy for table "{table.name}"'
    )
    assert results[tenant].ok, results[tenant].error
    if state.tenant_column in {
        c for (r, t, p, c) in allowed if (r, t, p) == (role.name, table.name, "UPDATE")
    }:
        move = sql.SQL("UPDATE {} SET {} = %s").format(
            name(table), sql.Identifier(state.tenant_column)
        )
        assert probe(conn, (move, [other])).error == (
            f'new row violates row-level security policy for table "{table.name}"'
        )
    return 2


def session_tricks(
    conn: Conn,
    state: TargetState,
    role: RoleState,
    tenants: list[str],
    rows: dict[tuple[str, str], list[dict[str, str]]],
    allowed: set[Privilege],
) -> int:
    tenant = role.tenant
    assert tenant is not None
    other = next(t for t in tenants if t != tenant)
    other_app = next(r.name for r in state.roles if r.tenant == other and r.kind == "app")
    checks = 0
    for table in scoped(state):
        column = readable(role, table, allowed)
        if column is None:
            continue
        # The profile the role reads this column through (an agent has one per workflow).
        profile = next(
            group
            for group in role.member_of
            for g in state.role(group).grants
            if g.key == table.key and ("SELECT" in g.table_privileges or column in g.select)
        )
        mine = own_values(rows, table, tenant, column)
        for trick in (
            f"SET app.tenant_id = '{other}'",
            f"SET app.current_tenant = '{other}'",
            f"SELECT set_config('paybill.tenant', '{other}', false)",
            f"SELECT set_config('{state.tenant_column}.current', '{other}', false)",
        ):
            seen = visible(conn, table, column, trick)
            assert sorted(str(v[0]) for v in seen.rows) == mine, trick
        off = visible(conn, table, column, "SET row_security = off")
        assert (
            off.error
            == f'query would be affected by row-level security policy for table "{table.name}"'
        )
        as_profile = visible(conn, table, column, f'SET ROLE "{profile}"')
        assert (as_profile.ok, as_profile.rows) == (True, [])  # no policy names a profile
        checks += 6
    for target_role in (other_app, state.owner):
        for switch in ("SET ROLE", "SET SESSION AUTHORIZATION"):
            denied = probe(conn, f'{switch} "{target_role}"')
            what = "role" if switch == "SET ROLE" else "session authorization"
            assert denied.error == f'permission denied to set {what} "{target_role}"'
            checks += 1
    return checks


# -- every column of every table, for every tenant role -------------------------------
@pytest.mark.parametrize("spec_dir", SPEC_SETS, ids=lambda p: p.name if p else "keywords")
def test_exactly_the_columns_the_steps_need(
    spec_dir: Path | None, write_spec: WriteSpec, pg: Databases, tmp_path: Path
) -> None:
    generated, states = prepared(spec_dir, write_spec, tmp_path)
    for target, state in states.items():
        db = pg.new(target)
        assert sql_cmd("apply", db, generated, target).code == 0
        want = expected(state)
        with db.connect(autocommit=False) as conn:
            for role in (r for r in state.roles if r.kind != "grants"):
                assert probed(conn, state, role.name) == {p for p in want if p[0] == role.name}
                if role.kind == "agent":
                    assert not any(p[0] == role.name for p in want)


def probed(conn: Conn, state: TargetState, role: str) -> set[Privilege]:
    """What real statements succeed as `role` (each rolled back, none touches a row)."""
    out: set[Privilege] = set()
    as_role = f'SET ROLE "{role}"'
    for table in state.tables:
        for column in table.columns:
            c = sql.Identifier(column.name)
            for privilege, query in (
                ("SELECT", sql.SQL("SELECT {} FROM {} LIMIT 0").format(c, name(table))),
                (
                    "INSERT",
                    sql.SQL("INSERT INTO {} ({}) SELECT NULL WHERE false").format(name(table), c),
                ),
                ("UPDATE", sql.SQL("UPDATE {} SET {} = NULL WHERE false").format(name(table), c)),
            ):
                if probe(conn, as_role, (query, [])).ok:
                    out.add((role, table.name, privilege, column.name))
        delete = sql.SQL("DELETE FROM {} WHERE false").format(name(table))
        if probe(conn, as_role, (delete, [])).ok:
            out.add((role, table.name, "DELETE", None))
    return out


def test_the_nudger_may_run_its_two_workflows_steps_and_touch_no_table(
    pg: Databases, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    state = compile_to(FLEET, generated)["pool-fleet-eu"]
    db = pg.new()
    assert sql_cmd("apply", db, generated, "pool-fleet-eu").code == 0
    role = "agent_alpha_co_nudger"
    with db.connect() as conn:
        assert effective(conn, [role], state) == set()
        functions = conn.execute(
            """SELECT n.nspname || '.' || p.proname FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname LIKE 'paybill%%' AND has_function_privilege(%s, p.oid, 'EXECUTE')
               ORDER BY 1""",
            [role],
        ).fetchall()
    assert [f[0] for f in functions] == [
        "paybill_api.approval",
        "paybill_api.dormant-accounts.check",
        "paybill_api.dormant-accounts.remove",
        "paybill_api.entitlements",
        "paybill_api.finish_run",
        "paybill_api.stale-items.find",
        "paybill_api.stale-items.mark",
        "paybill_api.stale-items.post",
        "paybill_api.start_run",
    ]


def test_keys_do_not_tell_a_tenant_which_ids_another_has(pg: Databases, tmp_path: Path) -> None:
    """Every key of a tenant-scoped table starts with the tenant column: a tenant inserting
    an id another tenant already uses gets no "duplicate key", and claims nothing."""
    generated = tmp_path / "generated"
    state = compile_to(FLEET, generated)["pool-fleet-eu"]
    db = pg.new()
    assert sql_cmd("apply", db, generated, "pool-fleet-eu").code == 0
    table = next(t for t in state.tables if t.name == "work-items")
    assert table.primary_key == ("tenant_id", "id")
    for tenant in ("bravo-labs", "alpha-co"):
        with login(db, "app_" + tenant.replace("-", "_")) as conn:
            values = row(table, state.tenant_column, tenant, 0, 1)
            values["id"] = "424242"  # the same id for both
            query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                name(table),
                sql.SQL(", ").join(sql.Identifier(k) for k in sorted(values)),
                sql.SQL(", ").join(
                    sql.SQL("%s::" + next(c.type for c in table.columns if c.name == k))
                    for k in sorted(values)
                ),
            )
            conn.execute(query, [values[k] for k in sorted(values)])
            conn.commit()
    with db.connect() as conn:
        indexes = conn.execute(
            """SELECT indexdef FROM pg_indexes WHERE tablename = 'work-items'"""
        ).fetchall()
    assert indexes == [
        (
            'CREATE UNIQUE INDEX "work-items_pkey" ON "order"."work-items" USING btree '
            "(tenant_id, id)",
        )
    ]
