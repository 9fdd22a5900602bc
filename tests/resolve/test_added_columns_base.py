"""`paybill validate --base` catches what `compile` would: a column added to a table that
exists on the base (it may hold rows), NOT NULL and without a default, is an error at the
column with the fix — against a base folder and a base git revision alike."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.emit.sql.test_added_columns import FLEET, JOINS_THE_ROWS, add_column
from tests.sqlops.live import cli

FIX = (
    "(add a 'default' of type smallint, or 'nullable: true', or add the column as nullable "
    "first and make it NOT NULL in a migration once every row has a value)"
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FLEET, tmp_path / "spec")
    shutil.copytree(FLEET, tmp_path / "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refusal(existing_at: str) -> str:
    return (
        "spec/schema.yaml:30:7: Table/work-items spec.columns[6]: column 'priority' is new, NOT "
        "NULL and has no default, but table 'order.work-items' already exists "
        f"({existing_at}): the rows it holds would have no value for it {FIX}\n"
        "1 error found\n"
    )


def test_against_a_base_folder(workdir: Path) -> None:
    add_column(workdir, "    - {name: priority, type: smallint}\n")
    run = cli("validate", "spec", "--base", "base")
    assert (run.code, run.out, run.err) == (1, "", refusal("base/schema.yaml"))


def test_against_a_base_revision(workdir: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "spec"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    add_column(workdir, "    - {name: priority, type: smallint}\n")
    run = cli("validate", "spec", "--base", "main")
    assert (run.code, run.err) == (1, refusal("main:spec/schema.yaml"))


def test_without_a_base_nothing_says_the_table_exists(workdir: Path) -> None:
    add_column(workdir, "    - {name: priority, type: smallint}\n")
    assert cli("validate", "spec").code == 0


@pytest.mark.parametrize("column", JOINS_THE_ROWS)
def test_a_default_or_null_lets_it_join_the_rows(workdir: Path, column: str) -> None:
    add_column(workdir, column)
    assert cli("validate", "spec", "--base", "base").code == 0


def test_a_table_new_since_the_base_may_have_such_columns(workdir: Path) -> None:
    (workdir / "spec" / "more.yaml").write_text(
        "apiVersion: paybill.dev/v1\nkind: Table\nmetadata: {name: labels}\nspec:\n"
        "  schema: order\n  columns:\n    - {name: id, type: uuid, primaryKey: true}\n"
        "    - {name: tenant_id, type: text}\n    - {name: name, type: text}\n"
    )
    assert cli("validate", "spec", "--base", "base").code == 0
