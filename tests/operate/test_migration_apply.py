"""A migration through the commands a platform team runs: pooled -> bridge planned, merged
and applied (the new database made beside the pool's, the rows copied and counted, the
switch), then retired by a second pull request (a dump kept, the rows deleted from the
pool), and a bridge -> silo move that apply refuses rather than updating in place.

SQL runs on the real PostgreSQL; Terraform is the stand-in of
tests/support/stand_in_terraform.py (stacks have nothing to do with the rows). The same
walk on the AWS emulator is in test_walk.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from psycopg import sql

from compiler.commands.sandbox import VARIABLES
from compiler.emit.sql.state import TableState
from compiler.sqlops.converge import load_state
from tests.operate.repo import Repository, tenant
from tests.sqlops.live import insert, row
from tests.support.postgres import Database, Databases
from tests.support.stand_in_terraform import write_stand_in
from tests.support.tools import require_binary

pytestmark = pytest.mark.postgres
BRIDGE = "  migration: {from: pooled/eu-shared, to: bridge/eu-shared}\n"
RETIRE = "  migration: {from: pooled/eu-shared, to: bridge/eu-shared, retireOld: true}\n"
SILO = "  migration: {from: bridge/eu-shared, to: silo/aws/eu-central-1}\n"


class Platform:
    """A repository with two pooled tenants (alpha moves, delta stays), applied, and alpha's
    and delta's rows in the pool's database."""

    def __init__(self, pg: Databases, tmp_path: Path) -> None:
        require_binary("git", "install git")
        tenants = {"alpha": tenant("alpha", "starter"), "delta": tenant("delta", "starter")}
        self.repo = Repository.create(tmp_path / "platform", tenants)
        self.pool, self.own = pg.new("pool"), pg.new("alpha")
        dsns = tmp_path / "dsns"
        dsns.write_text(f"pool-eu-shared={self.pool.dsn}\ntenant-alpha={self.own.dsn}\n")
        self.workdir = tmp_path / "work"
        self.acl = tmp_path / "acl"
        self.repo.env = {
            **VARIABLES,
            "PAYBILL_TERRAFORM": str(write_stand_in(tmp_path / "bin")),
            "PAYBILL_WORKDIR": str(self.workdir),
            "PAYBILL_ACL_DIR": str(self.acl),
            "PAYBILL_DSN_FILE": str(dsns),
        }
        first = self.repo.paybill("apply")
        assert first.code == 0, first
        generated = self.repo.root / "generated"
        self.tables = [t for t in load_state(generated, "pool-eu-shared").tables if t.tenant_scoped]
        with self.pool.connect() as conn:
            for number, table in enumerate(self.tables):
                for tenant_name, rows in (("alpha", 3), ("delta", 2)):
                    for index in range(rows):
                        values = row(table, "tenant_id", tenant_name, index, number * 10 + index)
                        insert(conn, table, values)

    def counts(self, db: Database, tenant_name: str) -> set[int]:
        """The tenant's row count in each table of `db` (one value when all agree)."""
        return {_count(db, t, tenant_name) for t in self.tables}

    def pull_request(self, branch: str, text: str, expected: int) -> str:
        """Alpha's spec changed on `branch`, planned against main (exit `expected`), merged;
        the summary."""
        self.repo.git("checkout", "-q", "-b", branch)
        self.repo.write("tenants/alpha.yaml", text)
        self.repo.commit(branch)
        planned = self.repo.paybill("plan", "--base", "main")
        assert planned.code == expected, planned
        self.repo.git("checkout", "-q", "main")
        self.repo.git("merge", "-q", "--ff-only", branch)
        return (self.repo.root / "plan/summary.md").read_text()

    def journal(self) -> dict[str, dict[str, str]]:
        data = json.loads((self.workdir / "journal.json").read_text())
        return {n: e for n, e in data["nodes"].items() if n.startswith("migration:")}


def _count(db: Database, table: TableState, tenant_name: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}.{} WHERE tenant_id = %s").format(
        sql.Identifier(table.schema), sql.Identifier(table.name)
    )
    with db.connect() as conn:
        found = conn.execute(query, [tenant_name]).fetchone()
    return int(found[0]) if found else -1


@pytest.fixture
def platform(pg: Databases, tmp_path: Path) -> Platform:
    return Platform(pg, tmp_path)


def test_pooled_to_bridge_is_applied_then_retired_and_bridge_to_silo_refused(
    platform: Platform,
) -> None:
    assert platform.counts(platform.pool, "alpha") == {3}
    summary = platform.pull_request("alpha-to-pro", tenant("alpha", "pro", extra=BRIDGE), 2)
    assert "- **alpha** (isolation): `pooled/eu-shared` → `bridge/eu-shared`" in summary
    applied = platform.repo.paybill("apply", "--plan", "plan")
    assert applied.code == 0, applied
    # Counted before and after: the new home has every row, the old one still has them.
    assert platform.counts(platform.own, "alpha") == {3}
    assert platform.counts(platform.own, "delta") == {0}
    assert platform.counts(platform.pool, "alpha") == {3}
    steps = platform.journal()
    assert {n: e["outcome"] for n, e in steps.items()} == {
        "migration:alpha/create": "applied",
        "migration:alpha/copy": "applied",
        "migration:alpha/switch": "applied",
        "migration:alpha/retire": "skipped",
    }
    # The ACL is published by the switch, after the copy, not by the waves before it.
    assert (platform.acl / "alpha.json").is_file()
    assert "acl:alpha" not in json.loads((platform.workdir / "journal.json").read_text())["nodes"]
    assert "wave 4  acl:alpha" not in applied.out
    # The second confirmation, in a pull request of its own: the retirement alone.
    summary = platform.pull_request("retire-alpha", tenant("alpha", "pro", extra=RETIRE), 2)
    assert "- **alpha** (its retirement): `pooled/eu-shared` → `bridge/eu-shared`" in summary
    retired = platform.repo.paybill("apply", "--plan", "plan")
    assert retired.code == 0, retired
    dump = platform.workdir / "migrations" / "alpha" / "pool-eu-shared.sql"
    assert platform.journal()["migration:alpha/retire"] == {
        "outcome": "applied",
        "message": f"{3 * len(platform.tables)} row(s) dumped to {dump} (kept) and deleted "
        "from the old home",
        "digests": {"from": "pooled/eu-shared", "to": "bridge/eu-shared"},
    }
    assert platform.counts(platform.pool, "alpha") == {0}
    assert platform.counts(platform.pool, "delta") == {2}
    assert platform.counts(platform.own, "alpha") == {3}
    # bridge -> silo keeps the stack's and the database's names: apply refuses it before any
    # wave rather than updating the database in place.
    silo = tenant("alpha", "enterprise", pool=None, extra=SILO)
    summary = platform.pull_request("alpha-to-silo", silo, 1)
    assert (
        "❌ refused (exit 1): apply cannot run this migration here: both homes are stack "
        "tenant-alpha" in summary
    )
    refused = platform.repo.paybill("apply", "--plan", "plan")
    assert refused.code == 1, refused
    assert (
        "tenant alpha's migration from bridge/eu-shared to silo/aws/eu-central-1: both homes "
        "are stack tenant-alpha and database tenant-alpha"
    ) in refused.out + refused.err
    assert platform.counts(platform.own, "alpha") == {3}
