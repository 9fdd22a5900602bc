"""The rest of a target's attack surface: what paybill never makes, so that anything of it
found is a hand change, reported by `drift` and undone by `apply`.

* triggers and rules on the relations of the managed schemas: a trigger can copy every
  tenant's rows as they are written, a rule rewrite a statement into another;
* routines in the spec's schemas (paybill's own schemas are `plan_runs`'): one that is
  SECURITY DEFINER runs as its owner, whatever the caller may do. One that belongs to an
  extension is reported and left (dropping it means dropping the extension);
* role-level settings of managed roles (`ALTER ROLE ... [IN DATABASE ...] SET`), in every
  database or in this one: a role's `search_path` or `row_security` is not the spec's to
  have;
* privileges on the database of managed roles, and CREATE for PUBLIC (with it, anyone makes
  schemas); PUBLIC's own defaults, CONNECT and TEMPORARY, are how login roles connect, and
  stay. A database owned by a managed role is reported (who should own it is the
  deployment's to say);
* default privileges (`ALTER DEFAULT PRIVILEGES`) that give a managed role or PUBLIC
  something on what a managed role creates, or on what anyone creates in a managed schema:
  the next table or function would arrive already granted. PostgreSQL's own defaults (PUBLIC
  may execute new functions and use new types) are not additions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql, ident
from compiler.emit.sql.runs import INTERNAL_SCHEMAS
from compiler.emit.sql.state import TargetState
from compiler.sqlops.catalog import Connection, LiveState, Routine, Surface
from compiler.sqlops.change import HAND_MADE, REVOKES, ROLES, Change

_TRIGGERS = """
SELECT n.nspname, c.relname, t.tgname
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND NOT t.tgisinternal
"""

_RULES = """
SELECT n.nspname, c.relname, r.rulename
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND r.rulename <> '_RETURN'
"""

_ROUTINES = """
SELECT n.nspname, p.oid::pg_catalog.regprocedure::text, p.prokind::text, p.prosecdef,
       (SELECT e.extname FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
          AND d.deptype = 'e')
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY(%(spec_schemas)s)
"""

_ROLE_SETTINGS = """
SELECT r.rolname, d.datname, COALESCE(s.setconfig, ARRAY[]::text[])
FROM pg_catalog.pg_db_role_setting s
JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
WHERE r.rolname = ANY(%(managed)s)
  AND (s.setdatabase = 0 OR d.datname = pg_catalog.current_database())
"""

_DATABASE_OWNER = """
SELECT pg_catalog.pg_get_userbyid(d.datdba)
FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
"""

_DATABASE_PRIVILEGES = """
SELECT CASE WHEN x.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(x.grantee) END,
       x.privilege_type
FROM pg_catalog.pg_database d,
     pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) x
WHERE d.datname = pg_catalog.current_database() AND x.grantee <> d.datdba
  AND (x.grantee = 0 OR pg_catalog.pg_get_userbyid(x.grantee) = ANY(%(managed)s))
"""

_DEFAULT_PRIVILEGES = """
SELECT pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype::text,
       CASE WHEN x.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(x.grantee) END,
       x.privilege_type
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace,
     pg_catalog.aclexplode(d.defaclacl) x
WHERE (pg_catalog.pg_get_userbyid(d.defaclrole) = ANY(%(managed)s)
       OR n.nspname = ANY(%(schemas)s))
  AND (x.grantee = 0 OR pg_catalog.pg_get_userbyid(x.grantee) = ANY(%(managed)s))
  AND x.grantee <> d.defaclrole
  -- PostgreSQL's own defaults, which an entry for every schema restates
  AND NOT (d.defaclnamespace = 0 AND x.grantee = 0
           AND (d.defaclobjtype, x.privilege_type) IN (('f', 'EXECUTE'), ('T', 'USAGE')))
"""


def read(conn: Connection, state: TargetState, live: LiveState) -> None:
    """Fill `live.surface` for the managed schemas and roles (retired roles are dropped,
    and everything with them)."""
    managed = sorted({state.owner, *(r.name for r in state.roles)})
    schemas = [*state.schemas, *INTERNAL_SCHEMAS]
    scope = {"schemas": schemas, "spec_schemas": list(state.schemas), "managed": managed}
    surface = Surface()
    surface.triggers = {(r[0], r[1], r[2]) for r in conn.execute(_TRIGGERS, scope)}
    surface.rules = {(r[0], r[1], r[2]) for r in conn.execute(_RULES, scope)}
    surface.routines = {Routine(*row) for row in conn.execute(_ROUTINES, scope)}
    for role, database, config in conn.execute(_ROLE_SETTINGS, scope):
        for item in config:
            name, _, value = str(item).partition("=")
            surface.role_settings.add((role, database, name, value))
    owner = conn.execute(_DATABASE_OWNER).fetchone()
    surface.database_owner = str(owner[0]) if owner else ""
    surface.database_privileges = {(r[0], r[1]) for r in conn.execute(_DATABASE_PRIVILEGES, scope)}
    surface.default_privileges = {
        (r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(_DEFAULT_PRIVILEGES, scope)
    }
    live.surface = surface


def diff(state: TargetState, live: LiveState) -> Iterator[Change]:
    yield from _made_by_hand(live)
    yield from _role_settings(live)
    yield from _database(state, live)
    yield from _default_privileges(live)


def _made_by_hand(live: LiveState) -> Iterator[Change]:
    surface = live.surface
    for schema, table, name in sorted(surface.triggers):
        yield Change(
            HAND_MADE,
            ("0", schema, table, name),
            f"trigger {ident(name)} on {st.table_name(schema, table)} is not in the spec",
            (st.drop_trigger(schema, table, name),),
        )
    for schema, table, name in sorted(surface.rules):
        yield Change(
            HAND_MADE,
            ("1", schema, table, name),
            f"rule {ident(name)} on {st.table_name(schema, table)} is not in the spec",
            (st.drop_rule(schema, table, name),),
        )
    for routine in sorted(surface.routines):
        text = f"function {routine.signature} is not in the spec"
        if routine.definer:
            text += "; it is SECURITY DEFINER"
        if routine.extension is not None:
            yield Change(
                HAND_MADE,
                ("2", routine.schema, routine.signature),
                f"{text}; it belongs to extension {ident(routine.extension)}, so apply leaves "
                "it: install the extension in a schema of its own",
                (),
            )
            continue
        yield Change(
            HAND_MADE,
            ("2", routine.schema, routine.signature),
            text,
            (st.drop_routine(routine.kind, Sql(routine.signature)),),
        )


def _role_settings(live: LiveState) -> Iterator[Change]:
    for role, database, name, value in sorted(
        live.surface.role_settings, key=lambda s: (s[0], s[1] or "", s[2])
    ):
        if role in live.retired:
            continue
        where = "in every database" if database is None else f"in database {ident(database)}"
        yield Change(
            ROLES,
            (role, "setting", database or "", name),
            f"role {ident(role)} has {name}={value} set {where}; the spec sets nothing",
            (st.reset_role_setting(role, database, name),),
        )


def _database(state: TargetState, live: LiveState) -> Iterator[Change]:
    surface = live.surface
    database = live.database
    managed = {state.owner, *(r.name for r in state.roles)}
    if surface.database_owner in managed:
        yield Change(
            REVOKES,
            ("", "", "", "database owner"),
            f"database {ident(database)} is owned by {ident(surface.database_owner)}, a role "
            "paybill manages; apply leaves it: give the database to the deployment's "
            "administrative login (ALTER DATABASE ... OWNER TO)",
            (),
        )
    held: dict[str | None, list[str]] = defaultdict(list)
    for grantee, privilege in surface.database_privileges:
        if grantee is None and privilege in ("CONNECT", "TEMPORARY"):
            continue  # PostgreSQL's defaults: how login roles connect
        if grantee in live.retired:
            continue
        held[grantee].append(privilege)
    for grantee, privileges in sorted(held.items(), key=lambda g: g[0] or ""):
        privileges.sort()
        who = "PUBLIC" if grantee is None else ident(grantee)
        yield Change(
            REVOKES,
            ("", "", grantee or "", "database"),
            f"{who} has {', '.join(privileges)} on database {ident(database)}, which the spec "
            "does not grant",
            (st.revoke_on_database(database, privileges, grantee),),
        )


_OBJECT_WORDS = {"r": "tables", "S": "sequences", "f": "functions", "T": "types", "n": "schemas"}


def _default_privileges(live: LiveState) -> Iterator[Change]:
    grouped: dict[tuple[str, str | None, str, str | None], list[str]] = defaultdict(list)
    for role, schema, objects, grantee, privilege in live.surface.default_privileges:
        if role in live.retired or grantee in live.retired:
            continue
        grouped[(role, schema, objects, grantee)].append(privilege)
    for (role, schema, objects, grantee), privileges in sorted(
        grouped.items(), key=lambda g: (g[0][0], g[0][1] or "", g[0][2], g[0][3] or "")
    ):
        privileges.sort()
        where = f" in schema {ident(schema)}" if schema is not None else ""
        who = "PUBLIC" if grantee is None else ident(grantee)
        yield Change(
            REVOKES,
            ("", schema or "", grantee or "", "default", role, objects),
            f"default privileges of {ident(role)}{where} give {who} {', '.join(privileges)} "
            f"on new {_OBJECT_WORDS.get(objects, objects)}, which the spec does not grant",
            (st.revoke_default_privileges(role, schema, objects, privileges, grantee),),
        )
