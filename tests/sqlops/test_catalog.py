"""What spec/'s SQL makes of a fresh database, catalog line by catalog line.

Each target of spec/ is built twice on a real PostgreSQL: once by its `.sql` files, in the
order a deployment applies them, and once by `paybill sql apply`. Both must leave the same
catalog (read by `catalog_dump`, not by paybill's own catalog code), and that catalog is
the reviewed snapshot: a change to how the SQL is written or laid out that changes what a
database ends up holding shows up here as a diff of roles, privileges, policies or
functions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from tests.conftest import SPEC
from tests.sqlops.catalog_dump import dump
from tests.sqlops.live import apply_files, compile_to, sql_cmd
from tests.support.postgres import Databases

pytestmark = pytest.mark.postgres


def test_files_and_apply_leave_the_reviewed_catalog(
    pg: Databases, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    generated = tmp_path / "generated"
    states = compile_to(SPEC, generated)
    catalogs = {}
    for target in sorted(states):
        by_files = pg.new(target)
        apply_files(by_files, generated, target)
        by_apply = pg.new(target)
        assert sql_cmd("apply", by_apply, generated, target).code == 0
        with by_files.connect() as conn:
            catalogs[target] = dump(conn, target)
        with by_apply.connect() as conn:
            assert dump(conn, target) == catalogs[target], target
    assert catalogs == snapshot
