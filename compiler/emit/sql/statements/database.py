"""The database as a whole: session settings for every session of it, and the bounded wait
and the lock that `paybill sql apply` takes."""

from __future__ import annotations

import re

from compiler.emit.sql.quote import Sql, ident, literal
from compiler.emit.sql.statements.template import call, table_name

_SETTING_NAME = re.compile(r"^[a-z_]+$")


def database_setting(database: str, name: str, value: str) -> Sql:
    """`ALTER DATABASE "db" SET name = 'value'` (`paybill sql apply` knows the name)."""
    return call(
        "database_setting", database=ident(database), name=_setting(name), value=literal(value)
    )


def current_database_setting(name: str, value: str) -> Sql:
    """The same for the files, which do not know the database's name."""
    return call("current_database_setting", name=_setting(name), value=literal(value))


def _setting(name: str) -> Sql:
    if not _SETTING_NAME.match(name):
        raise ValueError(f"not a setting name: {name!r}")
    return Sql(name)


def lock_timeout(seconds: float) -> Sql:
    milliseconds = max(1, round(seconds * 1000))
    return call("set_local", name=Sql("lock_timeout"), value=literal(f"{milliseconds}ms"))


def lock_table(schema: str, table: str) -> Sql:
    return call("lock_table", table=table_name(schema, table))
