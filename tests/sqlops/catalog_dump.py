"""A database's catalog as sorted lines of text, read without paybill's own catalog code.

What a target's SQL leaves in a database: its non-system schemas, the relations in them
(owner, row-level security, columns, indexes, constraints, privileges), policies, functions
(a digest of each body), the database's session settings, paybill's own rows, and the
roles the database names (owners, grantees, policy roles, and every role marked as managed
by the target), with their attributes, comments and memberships. Two databases that print
the same lines hold the same objects with the same privileges.

It reads `pg_catalog` directly, so it does not share a bug with `compiler.sqlops.catalog`.
"""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[Any]

_SCHEMAS = """
SELECT n.oid, n.nspname, pg_get_userbyid(n.nspowner)
FROM pg_namespace n
WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
"""

_GRANT = """
CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END
  || ' ' || x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
  || ' (by ' || pg_get_userbyid(x.grantor) || ')'
"""


def _acl(acl: str) -> str:
    """An ACL column as one text: `[role PRIVILEGE (by grantor), ...]`. A NULL ACL (the
    object's default) is shown as the default it stands for, so that an object whose
    privileges were revoked and granted back equals one never touched."""
    return (
        f"' acl [' || COALESCE((SELECT string_agg({_GRANT}, ', ' ORDER BY 1)\n"
        f"FROM aclexplode({acl}) x), '') || ']'"
    )


_RELATION_ACL = (
    "COALESCE(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", "
    "c.relowner))"
)

_QUERIES = {
    "schema": f"""
SELECT n.nspname || ' owner ' || pg_get_userbyid(n.nspowner)
       || {_acl("COALESCE(n.nspacl, acldefault('n', n.nspowner))")}
FROM pg_namespace n WHERE n.nspname = ANY(%(schemas)s)
""",
    "relation": f"""
SELECT n.nspname || '.' || c.relname || ' kind ' || c.relkind::text || ' owner '
       || pg_get_userbyid(c.relowner) || ' rls ' || c.relrowsecurity::text || ' forced '
       || c.relforcerowsecurity::text
       || {_acl(_RELATION_ACL)}
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
""",
    "column": f"""
SELECT n.nspname || '.' || c.relname || '.' || a.attname || ' '
       || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || {_acl("a.attacl")}
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND a.attnum > 0 AND NOT a.attisdropped
""",
    "index": """
SELECT pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
""",
    "constraint": """
SELECT n.nspname || '.' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
""",
    "trigger": """
SELECT n.nspname || '.' || c.relname || ' ' || pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND NOT t.tgisinternal
""",
    "policy": """
SELECT p.schemaname || '.' || p.tablename || ' ' || p.policyname || ' ' || p.permissive
       || ' ' || p.cmd || ' to ' || array_to_string(p.roles, ',')
       || ' using ' || COALESCE(p.qual, '-') || ' check ' || COALESCE(p.with_check, '-')
FROM pg_policies p WHERE p.schemaname = ANY(%(schemas)s)
""",
    "function": f"""
SELECT p.oid::regprocedure::text || ' returns ' || pg_get_function_result(p.oid)
       || ' owner ' || pg_get_userbyid(p.proowner) || ' ' || l.lanname
       || ' volatility ' || p.provolatile::text || ' definer ' || p.prosecdef
       || ' strict ' || p.proisstrict || ' config ' || COALESCE(p.proconfig::text, '-')
       || ' body ' || left(encode(sha256(convert_to(p.prosrc, 'UTF8')), 'hex'), 16)
       || {_acl("COALESCE(p.proacl, acldefault('f', p.proowner))")}
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = ANY(%(schemas)s)
""",
    "setting": """
SELECT unnest(s.setconfig)
FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
WHERE d.datname = current_database() AND s.setrole = 0
""",
}

# Every role the database names: owners, grantees and policy roles of the objects above.
_NAMED = """
SELECT pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE n.nspname = ANY(%(schemas)s)
UNION SELECT pg_get_userbyid(x.grantee) FROM pg_namespace n, aclexplode(n.nspacl) x
  WHERE n.nspname = ANY(%(schemas)s) AND x.grantee <> 0
UNION SELECT pg_get_userbyid(c.relowner) FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%(schemas)s)
UNION SELECT pg_get_userbyid(x.grantee) FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) x
  WHERE n.nspname = ANY(%(schemas)s) AND x.grantee <> 0
UNION SELECT pg_get_userbyid(x.grantee) FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace,
  aclexplode(a.attacl) x WHERE n.nspname = ANY(%(schemas)s) AND x.grantee <> 0
UNION SELECT pg_get_userbyid(p.proowner) FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY(%(schemas)s)
UNION SELECT pg_get_userbyid(x.grantee) FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) x
  WHERE n.nspname = ANY(%(schemas)s) AND x.grantee <> 0
UNION SELECT unnest(p.roles)::text FROM pg_policies p WHERE p.schemaname = ANY(%(schemas)s)
UNION SELECT r.rolname FROM pg_roles r
  JOIN pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass
  WHERE d.description = %(marker)s OR starts_with(d.description, %(marker)s || ' ')
"""

_ROLES = """
SELECT r.rolname || ' super ' || r.rolsuper || ' createdb ' || r.rolcreatedb
       || ' createrole ' || r.rolcreaterole || ' inherit ' || r.rolinherit
       || ' login ' || r.rolcanlogin || ' replication ' || r.rolreplication
       || ' bypassrls ' || r.rolbypassrls
       || ' config ' || COALESCE((SELECT s.setconfig::text FROM pg_db_role_setting s
                                  WHERE s.setrole = r.oid AND s.setdatabase = 0), '-')
       || ' comment ' || COALESCE(shobj_description(r.oid, 'pg_authid'), '-')
FROM pg_roles r WHERE r.rolname = ANY(%(roles)s)
"""

_MEMBERS = """
SELECT g.rolname || ' has member ' || m.rolname || ' admin ' || a.admin_option
FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
WHERE m.rolname = ANY(%(roles)s) AND NOT m.rolsuper
"""

# paybill's own rows: what the files and `sql apply` write into its tables.
_ROWS = ("tenants", "agents", "workflows")


def dump(conn: Conn, target: str) -> dict[str, list[str]]:
    """The catalog of the connected database, as sorted lines per kind of object; `target`
    names the SQL target whose marked roles are included even when nothing names them."""
    schemas = sorted(
        str(row[1])
        for row in conn.execute(_SCHEMAS)
        if str(row[1]) != "public" or _public_changed(conn)
    )
    params: dict[str, object] = {
        "schemas": schemas,
        "marker": f"paybill: managed by sql target {target}",
    }
    out = {kind: _lines(conn, query, params) for kind, query in _QUERIES.items()}
    roles = sorted({str(r[0]) for r in conn.execute(_NAMED, params)} - {_superuser(conn)})
    out["role"] = _lines(conn, _ROLES, {"roles": roles})
    out["membership"] = _lines(conn, _MEMBERS, {"roles": roles})
    out["row"] = _rows(conn)
    return out


def _lines(conn: Conn, query: str, params: dict[str, object]) -> list[str]:
    return sorted(str(row[0]) for row in conn.execute(query, params))


def _superuser(conn: Conn) -> str:
    found = conn.execute("SELECT current_user").fetchone()
    assert found is not None
    return str(found[0])


def _public_changed(conn: Conn) -> bool:
    """Whether anything was made in, or granted on, the `public` schema (nothing should)."""
    found = conn.execute(
        """SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public')
               OR EXISTS (SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                          WHERE n.nspname = 'public')"""
    ).fetchone()
    return bool(found and found[0])


def _rows(conn: Conn) -> list[str]:
    out: list[str] = []
    for table in _ROWS:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [f"paybill.{table}"])
        found = exists.fetchone()
        if not (found and found[0]):
            continue
        for row in conn.execute(f'SELECT t::text FROM "paybill"."{table}" AS t'):
            out.append(f"{table} {row[0]}")
    return sorted(out)
