"""A tenant's moves between homes, for real, on a local AWS emulator and PostgreSQL: the
sequel of tests/operate/test_walk.py, on a platform and a sandbox of its own so the two run
side by side.

A pool with one pooled tenant, alpha, deployed (plan, apply); rows of alpha's in every
tenant-scoped table of the pool's database. Then:
1. alpha moves pooled -> bridge: planned (the summary names the move), applied: its stack
   and database made beside the pool's, the rows copied and counted, the old home kept;
2. alpha moves bridge -> silo with its retirement in one pull request: the new stack
   tenant-alpha-2 built beside the old one, the rows copied and counted, the old stack torn
   down with its database's final snapshot kept.

Three database waits of the AWS provider one after another (the pool, the bridge, the
silo), and a deletion: five to eight minutes, by the load of the machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from compiler.emit.sql.state import TableState
from compiler.sqlops.converge import load_state
from tests.operate.repo import TENANTS, Repository, tenant
from tests.operate.sandboxed import (
    JOBS,
    aws,
    dsn_template,
    expect,
    merged,
    outcomes,
    rows_of,
    sandboxed,
)
from tests.sqlops.live import insert, row

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    """The platform with alpha, pooled, deployed."""
    root = tmp_path_factory.mktemp("walk-migrations")
    with sandboxed(root, {"alpha": TENANTS["alpha"]}) as repository:
        expect(repository.paybill("plan", "--jobs", JOBS), 2)
        expect(repository.paybill("apply", "--plan", "plan", "--jobs", JOBS), 0)
        yield repository


def test_a_tenant_moves_pooled_to_bridge_to_silo_and_its_old_home_is_retired(
    repo: Repository,
) -> None:
    """alpha (pooled, with rows) moves to a bridge plan: refused, confirmed, applied beside
    the pool with its rows counted; then on to silo."""
    template = dsn_template(repo)
    generated = repo.root / "generated"
    tables = [t for t in load_state(generated, "pool-eu-shared").tables if t.tenant_scoped]
    with psycopg.connect(template.replace("{target}", "pool-eu-shared"), autocommit=True) as conn:
        for number, table in enumerate(tables):
            for index in range(3):
                insert(
                    conn, table, row(table, "tenant_id", "alpha", index, 100 + number * 10 + index)
                )
    before = rows_of(template, "pool-eu-shared", tables)
    assert set(before.values()) == {3}, before
    summary, applied = merged(
        repo,
        "alpha-to-bridge",
        "tenants/alpha.yaml",
        tenant("alpha", "pro", extra=TO_BRIDGE),
        "alpha moves to pro: a migration",
    )
    assert "- **alpha** (isolation): `pooled/eu-shared` → `bridge/eu-shared`" in summary, summary
    states = outcomes(applied.out)
    assert states["stack:tenant-alpha"] == "applied", applied.out
    journal = json.loads((Path(repo.env["PAYBILL_WORKDIR"]) / "journal.json").read_text())
    assert journal["nodes"]["migration:alpha/copy"]["outcome"] == "applied", journal
    assert rows_of(template, "tenant-alpha", tables) == before  # counted after: every row
    assert rows_of(template, "pool-eu-shared", tables) == before  # the old home kept
    bridge_to_silo(repo, template, tables, before)


def bridge_to_silo(
    repo: Repository, template: str, tables: list[TableState], before: dict[str, int]
) -> None:
    """alpha (bridge) moves to silo and retires its old home in the same pull request: the
    new stack tenant-alpha-2 is built beside the old one, the rows copied and counted, then
    the old stack torn down, its database's final snapshot kept. (A retirement in a later
    pull request, the old stack kept untouched until then, is test_migration_apply.py's.)"""
    rds = aws(repo, "rds")
    old_instance = next(
        i
        for i in rds.describe_db_instances()["DBInstances"]  # type: ignore[attr-defined]
        if i["DBInstanceIdentifier"].endswith("-tenant-alpha")
    )["DBInstanceIdentifier"]
    summary, applied = merged(
        repo,
        "alpha-to-silo",
        "tenants/alpha.yaml",
        tenant("alpha", "enterprise", pool=None, extra=RETIRE),
        "alpha moves to enterprise: a migration to a stack of its own, retired at once",
    )
    assert "`bridge/eu-shared` → `silo/aws/eu-central-1`" in summary, summary
    assert outcomes(applied.out)["stack:tenant-alpha-2"] == "applied", applied.out
    journal = json.loads((Path(repo.env["PAYBILL_WORKDIR"]) / "journal.json").read_text())
    steps = {s: journal["nodes"][f"migration:alpha/{s}"] for s in ("copy", "retire")}
    assert steps["copy"]["outcome"] == "applied", steps
    assert steps["retire"]["message"].startswith("stack tenant-alpha: torn down ("), steps
    assert rows_of(template, "tenant-alpha-2", tables) == before  # every row in the new home
    left = {i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]}  # type: ignore[attr-defined]
    assert old_instance not in left, left
    snapshots = [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]]  # type: ignore[attr-defined]
    assert any(s.startswith(f"{old_instance}-final-") for s in snapshots), snapshots


TO_BRIDGE = "  migration: {from: pooled/eu-shared, to: bridge/eu-shared}\n"
RETIRE = (
    "  migration: {from: bridge/eu-shared, to: silo/aws/eu-central-1, retireOld: true}\n"
    "  stack: tenant-alpha-2\n"
)
