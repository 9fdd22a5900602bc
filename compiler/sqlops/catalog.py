"""Read what a live database holds of the objects and roles one target manages.

A handful of set-based catalog queries, whatever the number of tenants: roles and their
attributes and marker comments, memberships, schema and table owners, row-level security
flags, columns, table, column and schema privileges (via `aclexplode`), and policies.

Only managed grantees are read: the target's roles (those the spec lists, plus those whose
comment marks them as this target's or as one of its tenants', which the spec no longer
lists) and PUBLIC. Privileges
of any other role are not ours and are never read or changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from compiler.emit.sql.runs import INTERNAL_SCHEMAS
from compiler.emit.sql.state import TENANT_MARK, TargetState
from compiler.emit.sql.statements.undo import RoutineKind
from compiler.sqlops import members

Connection = psycopg.Connection[Any]

# A relation kind whose privileges are managed: tables, views and the like (not sequences,
# whose privilege names differ and which the spec never creates).
_RELATION_KINDS = ["r", "p", "v", "m", "f"]


@dataclass(frozen=True, slots=True)
class LiveRole:
    name: str
    superuser: bool
    createdb: bool
    createrole: bool
    inherit: bool
    login: bool
    replication: bool
    bypassrls: bool
    comment: str | None


@dataclass(frozen=True, slots=True)
class LiveColumn:
    name: str
    type: str  # format_type(): "timestamp with time zone", "character varying(3)", ...
    not_null: bool
    default: str | None = None  # pg_get_expr() of its default


@dataclass(frozen=True, slots=True)
class LiveIndex:
    name: str
    columns: tuple[str, ...]  # in order; an expression is shown as ""
    unique: bool
    primary: bool


@dataclass(frozen=True, slots=True)
class LiveTable:
    schema: str
    name: str
    owner: str
    rls_enabled: bool
    rls_forced: bool
    columns: dict[str, LiveColumn] = field(default_factory=dict)
    indexes: dict[str, LiveIndex] = field(default_factory=dict)

    @property
    def primary_key(self) -> LiveIndex | None:
        return next((i for i in self.indexes.values() if i.primary), None)


@dataclass(frozen=True, slots=True)
class LivePolicy:
    schema: str
    table: str
    name: str
    command: str  # "*" for ALL
    permissive: bool
    roles: frozenset[str]  # "PUBLIC" stands for the public pseudo-role
    using: str | None
    check: str | None


# (grantee or None for PUBLIC, schema, table, privilege, column or None, grantable)
TablePrivilege = tuple[str | None, str, str, str, str | None, bool]
# (grantee or None for PUBLIC, schema, privilege, grantable)
SchemaPrivilege = tuple[str | None, str, str, bool]


@dataclass
class Extra:
    """What `catalog_runs.read` adds: defaults as the server prints them, functions,
    database settings and paybill's own rows."""

    # (schema, table, column) -> (the live default, the spec's), both as EXPLAIN prints
    # them in this session; None where there is none.
    defaults: dict[tuple[str, str, str], tuple[str | None, str | None]] = field(
        default_factory=dict
    )
    functions: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    rows: dict[str, dict[str, tuple[Any, ...]]] = field(default_factory=dict)


@dataclass(frozen=True, order=True, slots=True)
class Routine:
    schema: str
    signature: str  # oid::regprocedure, quoted by the server
    kind: RoutineKind
    definer: bool
    extension: str | None


@dataclass
class Surface:
    triggers: set[tuple[str, str, str]] = field(default_factory=set)  # schema, table, name
    rules: set[tuple[str, str, str]] = field(default_factory=set)
    routines: set[Routine] = field(default_factory=set)
    # role, database (None: every database), name, value
    role_settings: set[tuple[str, str | None, str, str]] = field(default_factory=set)
    # grantee (None: PUBLIC), privilege
    database_privileges: set[tuple[str | None, str]] = field(default_factory=set)
    database_owner: str = ""
    # role, schema (None: everywhere), object type, grantee (None: PUBLIC), privilege
    default_privileges: set[tuple[str, str | None, str, str | None, str]] = field(
        default_factory=set
    )


@dataclass
class LiveState:
    roles: dict[str, LiveRole]
    retired: frozenset[str]  # marked as this target's, but no longer in the spec
    memberships: set[tuple[str, str, bool]]  # (group, member, admin option)
    schema_owners: dict[str, str]
    tables: dict[tuple[str, str], LiveTable]  # every relation in the managed schemas
    table_privileges: set[TablePrivilege]
    schema_privileges: set[SchemaPrivilege]
    policies: dict[tuple[str, str, str], LivePolicy]
    tenant_column: str  # the tenant column as PostgreSQL prints it in expressions
    outside: set[members.Outside] = field(default_factory=set)  # see `members`
    self_approvals: set[members.SelfApproval] = field(default_factory=set)
    applier: str = ""  # the login reading (and applying)
    database: str = ""
    extra: Extra = field(default_factory=Extra)
    surface: Surface = field(default_factory=Surface)  # see `surface`


_ROLES = """
SELECT r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit, r.rolcanlogin,
       r.rolreplication, r.rolbypassrls, d.description
FROM pg_catalog.pg_roles r
LEFT JOIN pg_catalog.pg_shdescription d
       ON d.objoid = r.oid AND d.classoid = 'pg_catalog.pg_authid'::pg_catalog.regclass
WHERE r.rolname = ANY(%(names)s) OR d.description = %(marker)s
   OR pg_catalog.starts_with(d.description, %(tenant_marker)s)
"""

_MEMBERSHIPS = """
SELECT g.rolname, m.rolname, a.admin_option
FROM pg_catalog.pg_auth_members a
JOIN pg_catalog.pg_roles g ON g.oid = a.roleid
JOIN pg_catalog.pg_roles m ON m.oid = a.member
WHERE m.rolname = ANY(%(managed)s)
"""

_SCHEMAS = """
SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner)
FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY(%(schemas)s)
"""

_SCHEMA_PRIVILEGES = """
SELECT CASE WHEN x.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(x.grantee) END,
       n.nspname, x.privilege_type, x.is_grantable
FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) x
WHERE n.nspname = ANY(%(schemas)s)
  AND (x.grantee = 0 OR pg_catalog.pg_get_userbyid(x.grantee) = ANY(%(grantees)s))
"""

_TABLES = """
SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner),
       c.relrowsecurity, c.relforcerowsecurity
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind::text = ANY(%(kinds)s)
"""

_COLUMNS = """
SELECT n.nspname, c.relname, a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind::text = ANY(%(kinds)s)
  AND a.attnum > 0 AND NOT a.attisdropped
"""

_INDEXES = """
SELECT n.nspname, c.relname, ic.relname, i.indisunique, i.indisprimary,
       ARRAY(SELECT COALESCE(a.attname::text, '')
             FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, o)
             LEFT JOIN pg_catalog.pg_attribute a
                    ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
             WHERE k.o <= i.indnkeyatts
             ORDER BY k.o)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind::text = ANY(%(kinds)s)
"""

_TABLE_PRIVILEGES = """
SELECT CASE WHEN x.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(x.grantee) END,
       n.nspname, c.relname, x.privilege_type, NULL::text, x.is_grantable
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace,
     pg_catalog.aclexplode(c.relacl) x
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind::text = ANY(%(kinds)s)
  AND (x.grantee = 0 OR pg_catalog.pg_get_userbyid(x.grantee) = ANY(%(grantees)s))
UNION ALL
SELECT CASE WHEN x.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(x.grantee) END,
       n.nspname, c.relname, x.privilege_type, a.attname::text, x.is_grantable
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace,
     pg_catalog.aclexplode(a.attacl) x
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind::text = ANY(%(kinds)s)
  AND a.attnum > 0 AND NOT a.attisdropped
  AND (x.grantee = 0 OR pg_catalog.pg_get_userbyid(x.grantee) = ANY(%(grantees)s))
"""

_POLICIES = """
SELECT n.nspname, c.relname, p.polname, p.polcmd::text, p.polpermissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(r) END
             FROM pg_catalog.unnest(p.polroles) r),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
"""


def read(conn: Connection, state: TargetState) -> LiveState:
    """Everything `plan.diff` compares, for `state`'s objects and roles."""
    desired = [state.owner, *(r.name for r in state.roles)]
    tenant_marker = state.comment + TENANT_MARK
    marks = {"names": desired, "marker": state.comment, "tenant_marker": tenant_marker}
    roles = {row[0]: LiveRole(*row) for row in conn.execute(_ROLES, marks)}
    ours = {
        r.name
        for r in roles.values()
        if r.comment is not None
        and (r.comment == state.comment or r.comment.startswith(tenant_marker))
    }
    retired = frozenset(ours - set(desired))
    scope = {
        "schemas": [*state.schemas, *INTERNAL_SCHEMAS],
        "kinds": _RELATION_KINDS,
        "managed": sorted(set(desired) | retired),
        # The owner's privileges on its own objects are implicit: not ours to diff.
        "grantees": sorted((set(desired) | retired) - {state.owner}),
    }
    tables = {(row[0], row[1]): LiveTable(*row) for row in conn.execute(_TABLES, scope)}
    for schema, table, name, type_, not_null, default in conn.execute(_COLUMNS, scope):
        tables[(schema, table)].columns[name] = LiveColumn(name, type_, not_null, default)
    for schema, table, name, unique, primary, columns in conn.execute(_INDEXES, scope):
        tables[(schema, table)].indexes[name] = LiveIndex(name, tuple(columns), unique, primary)
    policies = {
        (row[0], row[1], row[2]): LivePolicy(
            row[0], row[1], row[2], row[3], row[4], frozenset(row[5]), row[6], row[7]
        )
        for row in conn.execute(_POLICIES, scope)
    }
    quoted = conn.execute(
        "SELECT pg_catalog.quote_ident(%s), pg_catalog.current_database()", [state.tenant_column]
    ).fetchone()
    tenant_roles = [r.name for r in state.roles if r.tenant is not None]
    steps = state.role_of("steps")
    held = [state.owner, *([steps.name] if steps else []), *tenant_roles]
    approver = state.role_of("approver")
    agents = [r.name for r in state.roles if r.kind == "agent"]
    self_approvals = (
        {
            members.SelfApproval(*row)
            for row in conn.execute(
                members.approvers_query(), {"approver": approver.name, "agents": agents}
            )
        }
        if approver is not None and agents
        else set()
    )
    return LiveState(
        roles=roles,
        retired=retired,
        memberships={(g, m, admin) for g, m, admin in conn.execute(_MEMBERSHIPS, scope)},
        schema_owners=dict(conn.execute(_SCHEMAS, scope).fetchall()),
        tables=tables,
        table_privileges={
            (r[0], r[1], r[2], r[3], r[4], r[5]) for r in conn.execute(_TABLE_PRIVILEGES, scope)
        },
        schema_privileges={
            (r[0], r[1], r[2], r[3]) for r in conn.execute(_SCHEMA_PRIVILEGES, scope)
        },
        policies=policies,
        tenant_column=str(quoted[0]) if quoted else state.tenant_column,
        outside={
            members.Outside(g, m, bool(su))
            for g, m, su in conn.execute(
                members.query(), {"groups": held, "managed": scope["managed"]}
            )
        },
        self_approvals=self_approvals,
        applier=str(conn.execute("SELECT current_user").fetchone()[0]),  # type: ignore[index]
        database=str(quoted[1]) if quoted else "",
    )
