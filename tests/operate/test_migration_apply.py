"""A migration through the commands a platform team runs: pooled -> bridge planned, merged
and applied (the new database made beside the pool's, the rows copied and counted, the
switch), then retired by a second pull request (a dump kept, the rows deleted from the
pool); then bridge -> silo, its new stack beside the old one, which is kept as it was until
a last pull request retires it and apply tears it down.

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
SILO = "  migration: {from: bridge/eu-shared, to: silo/aws/eu-central-1}\n  stack: tenant-alpha-2\n"
GONE = (
    "  migration: {from: bridge/eu-shared, to: silo/aws/eu-central-1, retireOld: true}\n"
    "  stack: tenant-alpha-2\n"
)


class Platform:
    """A repository with two pooled tenants (alpha moves, delta stays), applied, and alpha's
    and delta's rows in the pool's database."""

    def __init__(self, pg: Databases, tmp_path: Path) -> None:
        require_binary("git", "install git")
        tenants = {"alpha": tenant("alpha", "starter"), "delta": tenant("delta", "starter")}
        self.repo = Repository.create(tmp_path / "platform", tenants)
        self.pool, self.own, self.silo = pg.new("pool"), pg.new("alpha"), pg.new("silo")
        dsns = tmp_path / "dsns"
        dsns.write_text(
            f"pool-eu-shared={self.pool.dsn}\ntenant-alpha={self.own.dsn}\n"
            f"tenant-alpha-2={self.silo.dsn}\n"
        )
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


def test_pooled_to_bridge_then_bridge_to_silo_each_applied_then_retired(
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
    assert retired.code == 0, retired.out + retired.err
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
    move_to_silo_and_retire(platform)


def _files(root: Path) -> dict[str, bytes]:
    """The files under `root` but the tenant's own (its roles and entitlements row, which
    move with it to the new home)."""
    found = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
    return {name: p.read_bytes() for name, p in found.items() if not name.startswith("tenants")}


def move_to_silo_and_retire(platform: Platform) -> None:
    """bridge -> silo: the new home is stack tenant-alpha-2 beside the old stack, which the
    compile keeps byte for byte until `retireOld: true` lets apply tear it down."""
    generated = platform.repo.root / "generated"
    old_stack = _files(generated / "stacks" / "tenant-alpha")
    old_sql = _files(generated / "sql" / "tenant-alpha")
    to_silo = tenant("alpha", "enterprise", pool=None, extra=SILO)
    summary = platform.pull_request("alpha-to-silo", to_silo, 2)
    assert "- **alpha** (isolation): `bridge/eu-shared` → `silo/aws/eu-central-1`" in summary
    assert "stack `tenant-alpha-2`" in summary
    assert _files(generated / "stacks" / "tenant-alpha") == old_stack
    assert _files(generated / "sql" / "tenant-alpha") == old_sql
    assert (generated / "stacks" / "tenant-alpha-2" / "cdk.tf.json").is_file()
    applied = platform.repo.paybill("apply", "--plan", "plan")
    assert applied.code == 0, applied
    assert platform.counts(platform.silo, "alpha") == {3}
    assert platform.counts(platform.own, "alpha") == {3}
    steps = {n: e["outcome"] for n, e in platform.journal().items()}
    assert steps == {
        "migration:alpha/create": "applied",
        "migration:alpha/copy": "applied",
        "migration:alpha/switch": "applied",
        "migration:alpha/retire": "skipped",
    }
    # The second confirmation retires the old stack: it leaves generated/ and apply tears it
    # down (its final snapshot kept), in the migration's retire step.
    retire = tenant("alpha", "enterprise", pool=None, extra=GONE)
    summary = platform.pull_request("retire-bridge", retire, 2)
    assert "- **alpha** (its retirement): `bridge/eu-shared` → `silo/aws/eu-central-1`" in summary
    assert not (generated / "stacks" / "tenant-alpha").exists()
    assert not (generated / "sql" / "tenant-alpha").exists()
    retired = platform.repo.paybill("apply", "--plan", "plan")
    assert retired.code == 0, retired.out + retired.err
    message = platform.journal()["migration:alpha/retire"]["message"]
    assert message.startswith("stack tenant-alpha: torn down ("), message
    assert "kept: module.tenant.aws_kms_key" in message, message
    assert platform.counts(platform.silo, "alpha") == {3}
