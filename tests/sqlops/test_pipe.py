"""`paybill sql apply | head`: a reader that leaves early does not turn a committed apply into
a traceback or a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WriteSpec
from tests.emit.sql.specs import KEYWORDS
from tests.sqlops.live import compile_to, sql_cmd
from tests.support.postgres import Databases

TARGET = "pool-shared"


@pytest.mark.postgres
def test_apply_into_a_closed_pipe_commits_and_exits_0(
    write_spec: WriteSpec, tmp_path: Path, pg: Databases
) -> None:
    generated = tmp_path / "generated"
    compile_to(write_spec(KEYWORDS), generated)
    db = pg.new()
    process = subprocess.Popen(
        [sys.executable, "-m", "compiler", "sql", "apply", "--target", TARGET, "--dsn", db.dsn,
         "--generated", str(generated)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line is written
    err = process.stderr.read()
    process.stderr.close()
    assert (process.wait(), err) == (0, b"")
    drift = sql_cmd("drift", db, generated, TARGET)
    assert (drift.code, drift.out) == (
        0,
        "pool-shared: no drift (7 roles, 1 table, 2 policies checked)\n",
    )
