"""The rest of what a target manages, read after `catalog.read`: column defaults as the
server prints them, every function of paybill's schemas (shape, body, settings, owner,
who may execute it), the database's session settings, and paybill's own rows.

Defaults are compared as PostgreSQL prints them: `EXPLAIN (VERBOSE)` of
`SELECT (<default>)::<column type>` shows the expression after the planner has folded
constants, for the live default and for the spec's alike, in the same session (so time zone
and date style are the same), which makes `'1.5'::numeric(5,2)` and a hand-written `1.5`
compare equal. EXPLAIN plans
and does not run the expression; a live default is an expression PostgreSQL stored, so its
text is one expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import column_type, idents
from compiler.emit.sql.render_runs import AGENT_COLUMNS, TENANT_COLUMNS, WORKFLOW_COLUMNS
from compiler.emit.sql.runs import INTERNAL_SCHEMAS, INTERNAL_TABLES
from compiler.emit.sql.state import INTERNAL_SCHEMA, TargetState
from compiler.sqlops.catalog import Connection, Extra, LiveState


@dataclass(frozen=True, slots=True)
class LiveFunction:
    schema: str
    name: str
    shape: str  # the SHA-256 of what statements.FUNCTION_SHAPE computes
    signature: str  # regprocedure, as PostgreSQL quotes it: what DROP and REVOKE name
    body: str
    definer: bool
    settings: tuple[str, ...]  # "name=value"
    volatility: str
    language: str
    strict: bool
    owner: str
    execute: frozenset[tuple[str | None, bool]]  # (grantee or None for PUBLIC, grantable)


_FUNCTIONS = f"""
SELECT n.nspname, p.proname, {st.FUNCTION_SHAPE}, p.oid::pg_catalog.regprocedure::text,
       p.prosrc, p.prosecdef, COALESCE(p.proconfig, ARRAY[]::text[]), p.provolatile::text,
       l.lanname, p.proisstrict, pg_catalog.pg_get_userbyid(p.proowner),
       ARRAY(
         SELECT CASE WHEN x.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(x.grantee) END
         FROM pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) x
         WHERE x.grantee <> p.proowner AND x.privilege_type = 'EXECUTE' ORDER BY x.grantee),
       ARRAY(
         SELECT x.is_grantable
         FROM pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) x
         WHERE x.grantee <> p.proowner AND x.privilege_type = 'EXECUTE' ORDER BY x.grantee)
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE n.nspname = ANY(%(schemas)s)
"""

_SETTINGS = """
SELECT COALESCE(s.setconfig, ARRAY[]::text[])
FROM pg_catalog.pg_db_role_setting s
JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0
"""


def read(conn: Connection, state: TargetState, live: LiveState) -> None:
    """Fill `live.extra`. Types print as the shapes expect only with this search path, which
    lasts until the end of the transaction (every statement paybill runs is qualified)."""
    conn.execute("SET LOCAL search_path = pg_catalog")
    extra = Extra()
    extra.defaults = _defaults(conn, state, live)
    for row in conn.execute(_FUNCTIONS, {"schemas": list(INTERNAL_SCHEMAS)}):
        schema, name, shape, signature, body, definer, config = row[:7]
        volatility, language, strict, owner, grantees, grantable = row[7:]
        function = LiveFunction(
            schema,
            name,
            shape,
            signature,
            body,
            definer,
            tuple(config),
            volatility,
            language,
            strict,
            owner,
            frozenset(zip(grantees, grantable, strict=True)),
        )
        extra.functions[(function.schema, function.name, function.shape)] = function
    for (config,) in conn.execute(_SETTINGS):
        for item in config:
            name, _, value = str(item).partition("=")
            extra.settings[name] = value
    extra.rows = _rows(conn, live)
    live.extra = extra


def _explained(conn: Connection, expression: str, column_type: str) -> str:
    """The expression as the planner prints it, cast to the column's type (as a default
    is when it is stored), so that equal defaults print alike however they were written."""
    query = f"EXPLAIN (VERBOSE, COSTS OFF) SELECT ({expression})::{column_type}"
    plan = conn.execute(query.encode()).fetchall()
    output = [str(line[0]).strip() for line in plan if str(line[0]).strip().startswith("Output:")]
    return output[0].removeprefix("Output:").strip() if output else expression


def _defaults(
    conn: Connection, state: TargetState, live: LiveState
) -> dict[tuple[str, str, str], tuple[str | None, str | None]]:
    out: dict[tuple[str, str, str], tuple[str | None, str | None]] = {}
    for table in state.tables:
        found = live.tables.get(table.key)
        if found is None:
            continue
        for column in table.columns:
            have = found.columns.get(column.name)
            if have is None or (have.default is None and column.default is None):
                continue
            want = st.default_expression(column, column.default) if column.default else None
            spelling = column_type(column.type)
            out[(*table.key, column.name)] = (
                _explained(conn, have.default, spelling) if have.default is not None else None,
                _explained(conn, want, spelling) if want is not None else None,
            )
    return out


# paybill's rows that the spec writes, and the columns it says (a tenant's run count is the
# run API's own).
ROW_COLUMNS = {"tenants": TENANT_COLUMNS, "agents": AGENT_COLUMNS, "workflows": WORKFLOW_COLUMNS}


def _rows(conn: Connection, live: LiveState) -> dict[str, dict[str, tuple[Any, ...]]]:
    """paybill's own rows by table and key, where the table has the columns to read."""
    out: dict[str, dict[str, tuple[Any, ...]]] = {}
    for table in INTERNAL_TABLES:
        if table.name not in ROW_COLUMNS:
            continue
        found = live.tables.get(table.key)
        names = list(ROW_COLUMNS[table.name])
        if found is None or any(n not in found.columns for n in names):
            continue
        query = f"SELECT {idents(names)} FROM {st.table_name(INTERNAL_SCHEMA, table.name)}"
        out[table.name] = {str(row[0]): tuple(row) for row in conn.execute(query.encode())}
    return out
