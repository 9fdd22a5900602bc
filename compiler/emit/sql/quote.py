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


# Lists in statements are laid out so that a diff of two versions reads item by item.
INDENT = "  "
WRAP_AT = 96  # a column list longer than this continues on the next line


def spread(items: Iterable[Sql], *, more: bool = False, indent: str = INDENT) -> Sql:
    """A list that ends a clause: ` a` for one item, else one item per line.

    The result starts with its own separator (a space, or a line break), so a template
    writes `FROM{{ list }}`. With `more`, text follows the list (`FROM{{ list }}CASCADE`): on
    the same line after one item, on the next line after several."""
    parts = list(items)
    join(parts)  # checks that every item is SQL text
    if len(parts) <= 1:
        return Sql(" " + "".join(parts) + (" " if more else ""))
    tail = "\n" + indent if more else ""
    return Sql("\n" + indent + (",\n" + indent).join(parts) + tail)


def wrapped(names: Iterable[str], indent: str = INDENT * 2) -> Sql:
    """Quoted names joined with `, `, continued on a new line before one would pass
    `WRAP_AT` characters (a long column list stays reviewable)."""
    lines: list[str] = []
    line = ""
    for name in names:
        quoted = ident(name)
        if line and len(line) + len(quoted) + 2 > WRAP_AT:
            lines.append(line + ",")
            line = quoted
        else:
            line = f"{line}, {quoted}" if line else quoted
    lines.append(line)
    return Sql(("\n" + indent).join(lines))


_COLUMN_TYPE = re.compile(COLUMN_TYPE_PATTERN)


# Types paybill's own tables use besides the DSL's.
INTERNAL_TYPES = frozenset({"text[]"})


def column_type(spelling: str) -> Sql:
    """A column type from the DSL's allow-list; types cannot be quoted like names, so
    anything outside the list is refused here as well as in the DSL."""
    if spelling not in INTERNAL_TYPES and not _COLUMN_TYPE.match(spelling):
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
