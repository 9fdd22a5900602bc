"""The template environment every statement is laid out with, and the pieces that several
kinds of statement share: role lists, qualified names, text arrays.

Everything a template prints must be `Sql` (or a number): `_only_sql` refuses anything else,
so a raw string from the spec cannot reach a file unquoted by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import jinja2

from compiler.emit.sql.quote import WRAP_AT, Sql, ident, join, literal, spread

Grantee = str | None  # None is PUBLIC

BLOCK = " " * 8  # lists inside the DO blocks of the templates


def _only_sql(value: Any) -> Any:
    """Template finalizer: print quoted SQL (or numbers), refuse everything else."""
    if isinstance(value, Sql | int) and not isinstance(value, bool):
        return value
    raise TypeError(f"template tried to print unquoted text: {value!r}")


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("compiler.emit.sql", "templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        finalize=_only_sql,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def macros() -> Any:
    return environment().get_template("statements.sql.j2").module


def call(macro: str, /, **kwargs: Sql) -> Sql:
    """One statement: the macro of templates/statements.sql.j2 with quoted arguments."""
    return Sql(getattr(macros(), macro)(**kwargs))


def grantees(names: Sequence[Grantee], *, more: bool = False) -> Sql:
    """PUBLIC or quoted role names, laid out by `spread` (one per line when several)."""
    return spread((Sql("PUBLIC") if n is None else ident(n) for n in names), more=more)


def table_name(schema: str, table: str) -> Sql:
    return Sql(f"{ident(schema)}.{ident(table)}")


def literals(texts: Sequence[str]) -> Sql:
    """Quoted texts, one per line, for a list inside a DO block."""
    return spread((literal(t) for t in texts), indent=BLOCK)


def text_array(items: Sequence[str]) -> Sql:
    """`ARRAY['a', 'b']::text[]`, continued one item per line when long."""
    inline = join(literal(i) for i in items)
    if len(inline) <= WRAP_AT:
        return Sql(f"ARRAY[{inline}]::text[]")
    return Sql(f"ARRAY[{spread((literal(i) for i in items), indent=BLOCK)}]::text[]")
