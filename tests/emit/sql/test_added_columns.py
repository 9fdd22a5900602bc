"""A column added to a table the previous output already has meets the table's rows: NOT
NULL without a default is a compile error at the column, with the fix; a default, or a
nullable column, compiles. `paybill compile` compares with the SQL state it wrote last."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from compiler.emit.sql.previous import previous_tables
from compiler.errors import Location
from compiler.records import Entry, NodeRecord
from tests.conftest import EXAMPLES
from tests.sqlops.live import cli

FLEET = next(p for p in EXAMPLES if p.name == "pooled-fleet")
LAST = "    - {name: nudged, type: boolean}\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FLEET, tmp_path / "spec")
    monkeypatch.chdir(tmp_path)
    assert cli("compile", "spec", "--out", "generated").code == 0
    return tmp_path


def add_column(workdir: Path, column: str) -> None:
    schema = workdir / "spec" / "schema.yaml"
    text = schema.read_text()
    assert LAST in text
    schema.write_text(text.replace(LAST, LAST + column))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_new_not_null_column_without_a_default_is_refused_at_the_column(workdir: Path) -> None:
    before = snapshot(workdir / "generated")
    add_column(workdir, "    - {name: priority, type: smallint}\n")
    run = cli("compile", "spec", "--out", "generated")
    assert (run.code, run.out) == (1, "")
    assert run.err == (
        "spec/schema.yaml:30:7: Table/work-items spec.columns[6]: column 'priority' is new, NOT "
        "NULL and has no default, but table 'order.work-items' already exists "
        "(generated/sql/shared/state.json): the rows it holds would have no value for it "
        "(add a 'default' of type smallint, or 'nullable: true', or add the column as nullable "
        "first and make it NOT NULL in a migration once every row has a value)\n"
        "1 error found\n"
    )
    assert snapshot(workdir / "generated") == before


# Columns that can join a table holding rows.
JOINS_THE_ROWS = [
    "    - {name: priority, type: smallint, default: 3}\n",
    "    - {name: priority, type: smallint, nullable: true}\n",
]


@pytest.mark.parametrize("column", JOINS_THE_ROWS)
def test_a_default_or_null_lets_it_join_the_rows(workdir: Path, column: str) -> None:
    add_column(workdir, column)
    assert cli("compile", "spec", "--out", "generated").code == 0
    text = (workdir / "generated/sql/shared/10-schema.sql").read_text()
    added = 'ADD COLUMN IF NOT EXISTS "priority" smallint'
    assert added + (" NOT NULL DEFAULT '3'::smallint;" if "default" in column else ";") in text


def test_a_new_table_may_have_such_columns(workdir: Path) -> None:
    (workdir / "spec" / "more.yaml").write_text(
        "apiVersion: paybill.dev/v1\nkind: Table\nmetadata: {name: labels}\nspec:\n"
        "  schema: order\n  columns:\n    - {name: id, type: uuid, primaryKey: true}\n"
        "    - {name: tenant_id, type: text}\n    - {name: name, type: text}\n"
    )
    assert cli("compile", "spec", "--out", "generated").code == 0


@pytest.mark.parametrize(
    "state",
    [b"{not json", b'{"tables": {"schema": 1}}', b'{"tables": [{"schema": "order"}]}', b"[]"],
)
def test_a_state_file_that_is_not_one_is_skipped_and_rebuilt(workdir: Path, state: bytes) -> None:
    """Nothing to compare with, so the new column compiles; the state file is written again."""
    path = workdir / "generated/sql/shared/state.json"
    good = path.read_bytes()
    path.write_bytes(state)
    add_column(workdir, "    - {name: priority, type: smallint}\n")
    run = cli("compile", "spec", "--out", "generated")
    assert run.code == 0, run.err
    assert b'"priority"' in path.read_bytes()
    assert path.read_bytes() != good


def test_the_tables_are_read_from_the_runtime_and_from_an_output_written_before_it(
    tmp_path: Path,
) -> None:
    """The runtime's `sql/shared/state.json` lists the tables; an output written before the
    runtime was shared listed them in each target's `sql/<target>/state.json`."""

    def write(path: str, tables: list[tuple[str, str, list[str]]]) -> None:
        data = {
            "tables": [
                {"schema": s, "name": t, "columns": [{"name": c} for c in cs]}
                for s, t, cs in tables
            ]
        }
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(orjson.dumps(data))

    def record(node: str, path: str) -> NodeRecord:
        kind, _, name = node.partition(":")
        return NodeRecord(node, kind, name, (), 0, "0" * 64, (Entry(path, "0" * 64, 1),))

    write("sql/shared/state.json", [("app", "items", ["id", "name"])])
    write("sql/pool-old/state.json", [("app", "items", ["id", "legacy"]), ("app", "old", ["x"])])
    write("sql/pool-old/tenants/a.json", [("app", "tenant-only", ["y"])])
    records = {
        "runtime:sql": record("runtime:sql", "sql/shared/state.json"),
        "sql:pool-old": record("sql:pool-old", "sql/pool-old/state.json"),
        "tenant:a": record("tenant:a", "sql/pool-old/tenants/a.json"),
    }
    found = previous_tables(tmp_path, records)
    assert {key: sorted(t.columns) for key, t in found.items()} == {
        ("app", "items"): ["id", "legacy", "name"],
        ("app", "old"): ["x"],
    }
    assert found[("app", "items")].location == Location(
        (tmp_path / "sql/shared/state.json").as_posix()
    )
