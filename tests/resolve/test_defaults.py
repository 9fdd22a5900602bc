"""Column defaults as they reach SQL: the typed YAML value, checked and written the way
PostgreSQL reads it (the SQL rendering quotes it and casts it to the column's type)."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.emit.sql.state import ColumnState, DefaultState
from compiler.emit.sql.statements import default_expression
from compiler.resolve.defaults import DefaultError, column_default
from compiler.resolve.model import ColumnDefault


@pytest.mark.parametrize(
    ("column_type", "value", "sql"),
    [
        ("text", "it's", "'it''s'::text"),
        ("text", "now()", "'now()'::text"),  # text: the words, not the time
        ("text", "x'); DROP TABLE t; --", "'x''); DROP TABLE t; --'::text"),
        ("varchar(3)", "EUR", "'EUR'::varchar(3)"),
        ("integer", 5.0, "'5'::integer"),
        ("bigint", -9223372036854775808, "'-9223372036854775808'::bigint"),
        ("boolean", False, "'false'::boolean"),
        ("real", 0.25, "'0.25'::real"),
        ("numeric", "12345678901234567890.5", "'12345678901234567890.5'::numeric"),
        ("numeric(5,2)", 1.5, "'1.5'::numeric(5,2)"),
        (
            "uuid",
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid",
        ),
        ("uuid", "gen_random_uuid()", "pg_catalog.gen_random_uuid()"),
        ("date", "2030-01-31", "'2030-01-31'::date"),
        ("date", "current_date", "CURRENT_DATE"),
        ("timestamptz", "2030-01-31T09:00:00Z", "'2030-01-31T09:00:00+00:00'::timestamptz"),
        ("timestamptz", "now()", "pg_catalog.now()"),
        ("timestamp", "2030-01-31 09:00", "'2030-01-31T09:00:00'::timestamp"),
        ("jsonb", {"b": [1, None], "a": "x"}, """'{"a": "x", "b": [1, null]}'::jsonb"""),
        ("jsonb", "now()", """'"now()"'::jsonb"""),
        ("bytea", "\\x00FF", "'\\x00ff'::bytea"),
        ("inet", "10.0.0.0/8", "'10.0.0.0/8'::inet"),
    ],
)
def test_a_default_is_a_quoted_literal_with_a_cast_or_an_allowed_expression(
    column_type: str, value: Any, sql: str
) -> None:
    default = column_default(column_type, value)
    assert default is not None
    column = ColumnState("c", column_type, True, False, DefaultState(default.kind, default.value))
    assert default_expression(column, column.default) == sql  # type: ignore[arg-type]


def test_no_default_is_none() -> None:
    assert column_default("text", None) is None


@pytest.mark.parametrize(
    ("column_type", "value", "message"),
    [
        ("integer", True, "true is not a integer (a whole number from -2147483648 to 2147483647)"),
        ("text", 5, "5 is not text; a text default is written as text"),
        ("text", "a\x00b", "a default cannot hold the NUL character"),
        ("uuid", "now()", '"now()" is not a uuid'),
        ("double precision", float("inf"), "Infinity is not a finite number"),
    ],
)
def test_values_that_do_not_fit_say_why(column_type: str, value: Any, message: str) -> None:
    with pytest.raises(DefaultError) as raised:
        column_default(column_type, value)
    assert str(raised.value) == message


def test_an_expression_outside_the_allow_list_never_renders() -> None:
    """A state file edited by hand cannot smuggle SQL in as an expression."""
    column = ColumnState("c", "text", True, False, DefaultState("expression", "pg_sleep(1)"))
    with pytest.raises(ValueError, match="not an allowed default expression"):
        default_expression(column, column.default)  # type: ignore[arg-type]
    assert ColumnDefault("expression", "now()") == column_default("timestamptz", "now()")
