"""GRANT and REVOKE: privilege lists (whole-table or by column) and what they are on."""

from __future__ import annotations

from collections.abc import Sequence

from compiler.emit.sql.quote import Sql, idents, join, keyword, spread, wrapped
from compiler.emit.sql.statements.template import Grantee, call, grantees, table_name


def privilege_clause(
    privilege: str, columns: Sequence[str] | None = None, *, wrap: bool = False
) -> Sql:
    """`SELECT ("a", "b")` for columns, `DELETE` for the whole table. With `wrap`, a long
    column list continues on further lines (for files people review)."""
    word = keyword(privilege)
    if columns is None:
        return word
    return Sql(f"{word} ({wrapped(columns) if wrap else idents(columns)})")


def privileges_clause(clauses: Sequence[Sql]) -> Sql:
    """Several privileges on one line, as messages show them."""
    return join(clauses)


Privileges = Sql | Sequence[Sql]  # one clause, or several laid out one per line


def _privileges(privileges: Privileges) -> Sql:
    """The privilege list of GRANT/REVOKE, with its surrounding separators."""
    if isinstance(privileges, Sql):
        return Sql(f" {privileges} ")
    return spread(privileges, more=True) if len(privileges) > 1 else Sql(f" {privileges[0]} ")


def on_table(schema: str, table: str) -> Sql:
    return Sql(f"TABLE {table_name(schema, table)}")


def on_tables(tables: Sequence[tuple[str, str]]) -> Sql:
    """Several tables ((schema, table) pairs), one per line when more than one."""
    return Sql(f"TABLE{spread([table_name(s, t) for s, t in tables])}")


def on_schema(*schemas: str) -> Sql:
    return Sql(f"SCHEMA {idents(schemas)}")


def on_all_tables(*schemas: str) -> Sql:
    """Every table, view and foreign table of the schemas, whoever made it."""
    return Sql(f"ALL TABLES IN SCHEMA {idents(schemas)}")


def on_functions(signatures: Sequence[Sql]) -> Sql:
    """Functions by signature, one per line when more than one."""
    return Sql(f"FUNCTION{spread(signatures)}")


def grant(privileges: Privileges, target: Sql, to: Sequence[Grantee]) -> Sql:
    return call("grant", privileges=_privileges(privileges), object=target, grantees=grantees(to))


def revoke(privileges: Privileges, target: Sql, frm: Sequence[Grantee]) -> Sql:
    return call(
        "revoke",
        privileges=_privileges(privileges),
        object=target,
        grantees=grantees(frm, more=True),
    )


def revoke_grant_option(privileges: Privileges, target: Sql, frm: Sequence[Grantee]) -> Sql:
    return call(
        "revoke_grant_option",
        privileges=_privileges(privileges),
        object=target,
        grantees=grantees(frm, more=True),
    )
