"""Quoting: every name is double-quoted, literals are standard strings, nothing else passes."""

from __future__ import annotations

import pytest

from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql, column_type, comment, ident, join, keyword, literal


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("order", '"order"'),
        ("user-accounts", '"user-accounts"'),
        ("last-seen", '"last-seen"'),
        ('odd"name', '"odd""name"'),
        ("Mixed", '"Mixed"'),
    ],
)
def test_identifiers_are_always_double_quoted(name: str, quoted: str) -> None:
    assert ident(name) == quoted


def test_identifiers_longer_than_postgres_allows_are_refused() -> None:
    with pytest.raises(ValueError, match="longer than 63 bytes"):
        ident("x" * 64)
    assert ident("x" * 63) == '"' + "x" * 63 + '"'


def test_literals_double_single_quotes_and_keep_backslashes() -> None:
    assert literal("alpha-co") == "'alpha-co'"
    assert literal("it's") == "'it''s'"
    assert literal("a\\b") == "'a\\b'"
    with pytest.raises(ValueError, match="NUL"):
        literal("a\x00b")


def test_column_types_come_only_from_the_allow_list() -> None:
    assert column_type("numeric(7, 2)") == "numeric(7, 2)"
    with pytest.raises(ValueError, match="allow-list"):
        column_type("text; DROP TABLE x")


def test_keywords_comments_and_joins_refuse_what_is_not_sql() -> None:
    with pytest.raises(ValueError, match="not a SQL keyword"):
        keyword("SELECT; --")
    with pytest.raises(ValueError, match="one line"):
        comment("a\nDROP TABLE x")
    with pytest.raises(TypeError, match="not SQL text"):
        join([Sql('"a"'), "b"])  # type: ignore[list-item]


def test_templates_refuse_to_print_unquoted_text() -> None:
    template = st.environment().from_string("GRANT {{ what }} TO x;")
    assert template.render(what=Sql("SELECT")) == "GRANT SELECT TO x;"
    with pytest.raises(TypeError, match="template tried to print unquoted text: 'SELECT'"):
        template.render(what="SELECT")


def test_the_tenant_column_is_quoted_even_when_it_is_user() -> None:
    # Unquoted, `user = 'acme'` would compare CURRENT_USER, not the column.
    assert st.tenant_predicate("user", "acme") == "\"user\" = 'acme'"
