"""What undoes a hand change paybill never makes itself: a trigger or a rule on a managed
table, a routine in a managed schema, a role-level setting, a privilege on the database, a
default privilege. Only `paybill sql apply` runs these (the files create what the spec says
and cannot know what else someone made)."""

from __future__ import annotations

from typing import Literal

from compiler.emit.sql.quote import Sql, ident, join, keyword
from compiler.emit.sql.statements.template import Grantee, call, grantees, table_name

RoutineKind = Literal["f", "p", "a", "w"]  # pg_proc.prokind
_DROP_ROUTINE = {"f": "FUNCTION", "w": "FUNCTION", "p": "PROCEDURE", "a": "AGGREGATE"}
# pg_default_acl.defaclobjtype -> the words of ALTER DEFAULT PRIVILEGES
DEFAULT_OBJECTS = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS"}


def drop_trigger(schema: str, table: str, trigger: str) -> Sql:
    return call("drop_trigger", trigger=ident(trigger), table=table_name(schema, table))


def drop_rule(schema: str, table: str, rule: str) -> Sql:
    return call("drop_rule", rule=ident(rule), table=table_name(schema, table))


def drop_routine(kind: RoutineKind, signature: Sql) -> Sql:
    """`signature`: as PostgreSQL prints `oid::regprocedure` (quoted by the server)."""
    return call("drop_routine", kind=keyword(_DROP_ROUTINE[kind]), routine=signature)


def reset_role_setting(role: str, database: str | None, name: str) -> Sql:
    """ALTER ROLE ... [IN DATABASE ...] RESET a setting (a dotted name quoted part by part)."""
    where = Sql(f" IN DATABASE {ident(database)}") if database is not None else Sql("")
    setting = Sql(".".join(ident(part) for part in name.split(".")))
    return call("reset_role_setting", role=ident(role), database=where, setting=setting)


def revoke_on_database(database: str, privileges: list[str], frm: Grantee) -> Sql:
    words = join(keyword(p) for p in privileges)
    return call(
        "revoke_on_database",
        privileges=words,
        database=ident(database),
        grantees=grantees([frm], more=True),
    )


def revoke_default_privileges(
    role: str, schema: str | None, objects: str, privileges: list[str], frm: Grantee
) -> Sql:
    """ALTER DEFAULT PRIVILEGES FOR ROLE role [IN SCHEMA schema] REVOKE ... ON objects."""
    where = Sql(f" IN SCHEMA {ident(schema)}") if schema is not None else Sql("")
    return call(
        "revoke_default_privileges",
        role=ident(role),
        schema=where,
        privileges=join(keyword(p) for p in privileges),
        objects=keyword(DEFAULT_OBJECTS[objects]),
        grantees=grantees([frm], more=True),
    )
