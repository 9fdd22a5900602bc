"""Quoting: the only way a name or a value from the spec becomes SQL text.

Everything the templates print is `Sql`, a `str` subclass that marks text as already safe
SQL. The template environment refuses to print anything else (see `render.py`), so a raw
string from the spec cannot reach a file unquoted by accident.

Identifiers are always double-quoted, even when quoting is not needed: schema, table and
column names may be SQL keywords (`order`, `select`) or contain `-`, and one rule for all
names is easier to review than a keyword list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from compiler.dsl.table import COLUMN_TYPE_PATTERN


class Sql(str):
    """SQL text that is safe to print as it is."""

    __slots__ = ()


def ident(name: str) -> Sql:
    """A quoted identifier: `a-b` -> `"a-b"`, with embedded quotes doubled."""
    if not name or "\x00" in name:
        raise ValueError(f"not a usable SQL identifier: {name!r}")
    if len(name.encode()) > 63:
        raise ValueError(f"SQL identifier longer than 63 bytes: {name!r}")
    return Sql('"' + name.replace('"', '""') + '"')


def literal(text: str) -> Sql:
    """A standard string literal: `it's` -> `'it''s'` (standard_conforming_strings is on
    since PostgreSQL 9.1, so backslashes are not special)."""
    if "\x00" in text:
        raise ValueError(f"a SQL literal cannot hold NUL: {text!r}")
    return Sql("'" + text.replace("'", "''") + "'")


def qualified(schema: str, name: str) -> Sql:
    return Sql(f"{ident(schema)}.{ident(name)}")


def join(items: Iterable[Sql], separator: str = ", ") -> Sql:
    parts = list(items)
    for part in parts:
        if not isinstance(part, Sql):
            raise TypeError(f"not SQL text: {part!r}")
    return Sql(separator.join(parts))


def idents(names: Iterable[str]) -> Sql:
    return join(ident(n) for n in names)


_COLUMN_TYPE = re.compile(COLUMN_TYPE_PATTERN)


def column_type(spelling: str) -> Sql:
    """A column type from the DSL's allow-list; types cannot be quoted like names, so
    anything outside the list is refused here as well as in the DSL."""
    if not _COLUMN_TYPE.match(spelling):
        raise ValueError(f"column type outside the allow-list: {spelling!r}")
    return Sql(spelling)


def comment(text: str) -> Sql:
    """Text for a `--` comment line: one line, no control characters."""
    if any(ord(ch) < 32 for ch in text):
        raise ValueError(f"a SQL comment must be one line of text: {text!r}")
    return Sql(text)


def keyword(word: str) -> Sql:
    """A fixed SQL keyword chosen by the compiler (privilege names, role options)."""
    if not re.fullmatch(r"[A-Z][A-Z ]*", word):
        raise ValueError(f"not a SQL keyword: {word!r}")
    return Sql(word)
