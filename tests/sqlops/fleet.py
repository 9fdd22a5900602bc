"""The pooled-fleet example applied to a fresh database: what the tests of keys, defaults,
locks and lifecycle start from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.sqlops.live import compile_to, seed, sql_cmd
from tests.support.postgres import Database, Databases

FLEET = next(p for p in EXAMPLES if p.name == "pooled-fleet")
TARGET = "pool-fleet-eu"
ITEMS = '"order"."work-items"'


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    spec = tmp_path / "spec"
    shutil.copytree(FLEET, spec)
    return spec


def converged(pg: Databases, spec: Path, generated: Path, *, seeded: bool = True) -> Database:
    """`spec` compiled into `generated` and applied to a new database, its tables seeded
    with rows unless `seeded` is False."""
    state = compile_to(spec, generated)[TARGET]
    db = pg.new()
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    if seeded:
        seed(db, state)
    return db
