"""Tables, their columns, defaults, keys and indexes: live catalogs vs the desired state.

What apply changes: missing tables and columns (a column with the spec's default, so a NOT
NULL one can join a table with rows), defaults, the owner, paybill's own indexes, and a
primary key that only lacks columns the spec adds to it: a tenant-scoped table's key gains
the tenant column. Widening a key cannot fail on the rows (what was unique stays unique)
and happens in the apply's transaction; it rebuilds the key's index under an exclusive
lock, so on a large table it waits for its moment like any migration would.

What apply reports and leaves (a migration decides): a column's type or nullability, a
primary key that differs otherwise (narrower keys may meet duplicates), and a unique index
of a tenant-scoped table that does not include the tenant column (a hand-made one: in a
pool, it tells one tenant which values another tenant's rows hold).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import ident
from compiler.emit.sql.state import TableState, TargetState
from compiler.sqlops.catalog import LiveState, LiveTable
from compiler.sqlops.change import TABLES, Change

_SPELLINGS = {"timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone"}


def pg_type(spelling: str) -> str:
    """A DSL column type as PostgreSQL's format_type() prints it."""
    if spelling in _SPELLINGS:
        return _SPELLINGS[spelling]
    if m := re.fullmatch(r"varchar\((\d+)\)", spelling):
        return f"character varying({m.group(1)})"
    if m := re.fullmatch(r"numeric\((\d+)(?:, ?(\d+))?\)", spelling):
        return f"numeric({m.group(1)},{m.group(2) or 0})"
    return spelling


def diff_tables(
    state: TargetState, live: LiveState, tables: tuple[TableState, ...]
) -> Iterator[Change]:
    for table in tables:
        name = st.table_name(table.schema, table.name)
        found = live.tables.get(table.key)
        if found is None:
            yield Change(
                TABLES,
                table.key,
                f"table {name} does not exist",
                (
                    st.create_table(table),
                    *(st.create_index(table, i.name, i.columns) for i in table.indexes),
                    st.alter_table_owner(table.schema, table.name, state.owner),
                ),
            )
            continue
        yield from _columns(table, found, live)
        yield from _keys(state, table, found)
        if found.owner != state.owner:
            yield Change(
                TABLES,
                (*table.key, "owner"),
                f"table {name} is owned by {ident(found.owner)}, not {ident(state.owner)}",
                (st.alter_table_owner(table.schema, table.name, state.owner),),
            )


def _columns(table: TableState, found: LiveTable, live: LiveState) -> Iterator[Change]:
    name = st.table_name(table.schema, table.name)
    for column in table.columns:
        have = found.columns.get(column.name)
        where = f"column {ident(column.name)} of {name}"
        if have is None:
            yield Change(
                TABLES,
                (*table.key, column.name),
                f"{where} does not exist",
                (st.add_column(table.schema, table.name, column),),
            )
            continue
        if have.type != pg_type(column.type):
            yield Change(
                TABLES,
                (*table.key, column.name, "type"),
                f"{where} is {have.type} in the database but {column.type} in the spec; "
                "apply leaves it: changing a type needs a migration",
                (),
            )
        if have.not_null == column.nullable:
            now, spec = ("NOT NULL", "nullable") if have.not_null else ("nullable", "NOT NULL")
            yield Change(
                TABLES,
                (*table.key, column.name, "null"),
                f"{where} is {now} in the database but {spec} in the spec; apply leaves "
                "it: this needs a migration",
                (),
            )
        printed = live.extra.defaults.get((*table.key, column.name))
        if printed is not None and printed[0] != printed[1]:
            is_, wants = (f"DEFAULT {p}" if p else "no default" for p in printed)
            yield Change(
                TABLES,
                (*table.key, column.name, "default"),
                f"{where} has {is_}; the spec says {wants}",
                (st.set_default(table.schema, table.name, column),),
            )


def _keys(state: TargetState, table: TableState, found: LiveTable) -> Iterator[Change]:
    name = st.table_name(table.schema, table.name)
    key = found.primary_key
    want = table.primary_key
    if key is None or key.columns != want:
        shown = f"({', '.join(key.columns)})" if key else "none"
        text = f"the primary key of {name} is {shown}; the spec says ({', '.join(want)})"
        if key is not None and set(key.columns) <= set(want):
            yield Change(
                TABLES,
                (*table.key, "key"),
                text,
                (st.replace_primary_key(table.schema, table.name, key.name, want),),
            )
        else:
            yield Change(
                TABLES, (*table.key, "key"), f"{text}; apply leaves it: that needs a migration", ()
            )
    if table.tenant_scoped:
        for index in sorted(found.indexes.values(), key=lambda i: i.name):
            if index.unique and not index.primary and state.tenant_column not in index.columns:
                yield Change(
                    TABLES,
                    (*table.key, "unique", index.name),
                    f"unique index {ident(index.name)} on {name} does not include the tenant "
                    f"column {ident(state.tenant_column)}: in a pool it tells a tenant which "
                    "values other tenants' rows hold; apply leaves it: replace it with one "
                    "that starts with the tenant column",
                    (),
                )
    for wanted in table.indexes:
        have = found.indexes.get(wanted.name)
        if have is None or have.columns != wanted.columns:
            drop = (st.drop_index(table.schema, wanted.name),) if have is not None else ()
            yield Change(
                TABLES,
                (*table.key, "index", wanted.name),
                f"index {ident(wanted.name)} on {name} "
                + ("does not exist" if have is None else f"is on ({', '.join(have.columns)})"),
                (*drop, st.create_index(table, wanted.name, wanted.columns)),
            )
