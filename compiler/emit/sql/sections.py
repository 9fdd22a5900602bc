"""A SQL file as paybill writes it: a header saying what it is and how it is applied, then
titled sections of statements, all in one transaction (templates/file.sql.j2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql, comment

# How every file is applied: with the shared runtime's and the target's others, in one order
# (docs/sql.md, render.py).
HOW_TO_APPLY = (
    "Apply with the others in the order `paybill sql files --target T` prints (docs/sql.md).",
)


@dataclass(frozen=True)
class Section:
    title: Sql
    statements: tuple[Sql, ...]


Sections = list[tuple[str, list[Sql]]]  # (title, statements), before they are checked


def section(title: str, statements: Sequence[Sql]) -> list[Section]:
    """A titled group of statements; none when there is nothing in it."""
    return [Section(comment(title), tuple(statements))] if statements else []


def sections(titled: Sections) -> list[Section]:
    return [s for title, statements in titled for s in section(title, statements)]


def render_file(title: str, scope: str, parts: list[Section]) -> bytes:
    """One file: `scope` says whose it is ("SQL target pool-eu", "The SQL runtime ...")."""
    template = st.environment().get_template("file.sql.j2")
    text = template.render(
        title=comment(title),
        scope=comment(scope),
        how=[comment(line) for line in HOW_TO_APPLY],
        sections=parts,
    )
    return text.encode()
