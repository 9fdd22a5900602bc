"""A migration's data steps on a real PostgreSQL: the tenant's rows copied from its pool's
database into a database of its own and counted on both sides, a mismatch that stops the
migration before the switch and a resume that finishes it, the retirement that dumps the
rows (the dump kept) and deletes them, and a login that row-level security would filter
refused rather than copying nothing.

The databases are built from the project's committed output (`generated/`): the pool's
target `pool-eu-shared` as the old home, `tenant-wayne` as the new one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg import sql

from compiler.emit.sql.state import TableState
from compiler.homes import Confirmed, Home
from compiler.moves import Migration
from compiler.operate.dsns import Dsns
from compiler.operate.journal import Journal
from compiler.operate.migrations.run import MigrationRun, run_migration
from compiler.sqlops.converge import load_state
from tests.sqlops.live import apply_files, insert, row
from tests.support.postgres import Database, Databases
from tests.support.tools import REPO

pytestmark = pytest.mark.postgres
GENERATED = REPO / "generated"
OLD, NEW = "pool-eu-shared", "tenant-wayne"
SOURCE = Home("pooled", "eu-shared", "aws", "eu-central-1")
TARGET = Home("bridge", "eu-shared", "aws", "eu-central-1")
ROWS = {"wayne": 3, "initech": 2}  # wayne moves; initech stays in the pool


def tenant_tables() -> list[TableState]:
    return [t for t in load_state(GENERATED, OLD).tables if t.tenant_scoped]


class Homes:
    """The two databases, the run's journal and what the switch published."""

    def __init__(self, pg: Databases, workdir: Path) -> None:
        self.old, self.new = pg.new("old"), pg.new("new")
        apply_files(self.old, GENERATED, OLD)
        apply_files(self.new, GENERATED, NEW)
        self.workdir = workdir
        self.published: list[str] = []
        seq = 0
        with self.old.connect() as conn:
            for table in tenant_tables():
                for tenant, count in ROWS.items():
                    for index in range(count):
                        seq += 1
                        insert(conn, table, row(table, "tenant_id", tenant, index, seq))

    def run(self, *, resume: bool = False, user: str | None = None) -> MigrationRun:
        def dsn(db: Database) -> str:
            return db.dsn if user is None else db.server.dsn(db.name, user)

        journal = Journal.open(self.workdir / "journal.json", resume=resume)
        return MigrationRun(
            GENERATED,
            self.workdir,
            Dsns(explicit={OLD: dsn(self.old), NEW: dsn(self.new)}),
            journal,
            lambda target: {},
            self.publish,
            self.teardown,
        )

    def publish(self, node: str) -> str:
        self.published.append(node)
        return f"published {node}"

    def teardown(self, stack: str) -> str:
        raise AssertionError(f"a pool's database is never torn down, but {stack} was")

    def counts(self, db: Database, tenant: str) -> dict[str, int]:
        out = {}
        with db.connect() as conn:
            for table in tenant_tables():
                query = sql.SQL("SELECT count(*) FROM {}.{} WHERE tenant_id = %s").format(
                    sql.Identifier(table.schema), sql.Identifier(table.name)
                )
                found = conn.execute(query, [tenant]).fetchone()
                out[f"{table.schema}.{table.name}"] = int(found[0]) if found else -1
        return out


def move(retire: bool = False) -> Migration:
    return Migration("wayne", SOURCE, TARGET, Confirmed(SOURCE.key, TARGET.key, retire))


def outcomes(run: MigrationRun) -> dict[str, str]:
    return {n: e.outcome for n, e in run.journal.entries.items()}


@pytest.fixture
def homes(pg: Databases, tmp_path: Path) -> Homes:
    return Homes(pg, tmp_path)


def test_the_rows_are_copied_counted_and_switched_and_the_old_home_is_kept(
    homes: Homes,
) -> None:
    everything = dict.fromkeys(homes.counts(homes.old, "wayne"), 3)
    assert len(everything) >= 4  # a table alone would prove little
    run = homes.run()
    assert run_migration(run, move())
    assert homes.counts(homes.new, "wayne") == everything
    assert homes.counts(homes.new, "initech") == dict.fromkeys(everything, 0)
    assert homes.counts(homes.old, "wayne") == everything  # kept until retireOld
    assert outcomes(run) == {
        "migration:wayne/create": "applied",
        "migration:wayne/copy": "applied",
        "migration:wayne/switch": "applied",
        "migration:wayne/retire": "skipped",
    }
    copied = run.journal.entries["migration:wayne/copy"].message
    assert copied == (
        f"rows copied from {OLD} to {NEW}: " + ", ".join(f"{t} 3=3" for t in sorted(everything))
    )
    assert run.journal.entries["migration:wayne/retire"].message == (
        "the old home pooled/eu-shared is kept until the spec adds 'retireOld: true'"
    )
    assert homes.published == ["acl:wayne"]


def test_a_count_mismatch_stops_before_the_switch_and_resume_finishes(homes: Homes) -> None:
    """A table that loses a row on the way (a trigger drops the first one) stops the
    migration with both counts; the tables copied before it stay, the switch does not
    happen. Once the cause is gone, `--resume` copies again (no row twice) and switches."""
    second = sorted(homes.counts(homes.old, "wayne"))[1]
    schema, name = second.split(".")
    table = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
    with homes.new.connect() as conn:
        conn.execute("CREATE SEQUENCE public.arrivals")
        conn.execute(
            "CREATE FUNCTION public.lose_the_first() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF nextval('public.arrivals') = 1 THEN RETURN NULL; END IF; RETURN NEW; END $$"
        )
        conn.execute(
            sql.SQL(
                "CREATE TRIGGER lose_the_first BEFORE INSERT ON {} "
                "FOR EACH ROW EXECUTE FUNCTION public.lose_the_first()"
            ).format(table)
        )
    run = homes.run()
    assert not run_migration(run, move())
    failed = run.journal.entries["migration:wayne/copy"]
    assert (failed.outcome, failed.message) == (
        "failed",
        f"{second}: 3 row(s) of tenant wayne in the old home, 2 in the new one after the copy; "
        "the migration stops before the switch (the table's copy is rolled back; 'paybill "
        "apply --resume' copies it again)",
    )
    assert outcomes(run)["migration:wayne/switch"] == "not started"
    assert outcomes(run)["migration:wayne/retire"] == "not started"
    assert homes.published == []
    counts = homes.counts(homes.new, "wayne")
    first = sorted(counts)[0]
    assert (counts[first], counts[second]) == (3, 0)  # the first table stayed copied
    with homes.new.connect() as conn:
        conn.execute(sql.SQL("DROP TRIGGER lose_the_first ON {}").format(table))
    resumed = homes.run(resume=True)
    assert run_migration(resumed, move())
    assert set(homes.counts(homes.new, "wayne").values()) == {3}
    assert outcomes(resumed)["migration:wayne/create"] == "applied"
    assert outcomes(resumed)["migration:wayne/switch"] == "applied"
    assert homes.published == ["acl:wayne"]


def test_retiring_dumps_the_rows_keeps_the_dump_and_deletes_them(homes: Homes) -> None:
    run = homes.run()
    assert run_migration(run, move(retire=True))
    dump = homes.workdir / "migrations" / "wayne" / f"{OLD}.sql"
    assert run.journal.entries["migration:wayne/retire"].message == (
        f"{3 * len(tenant_tables())} row(s) dumped to {dump} (kept) and deleted from the old home"
    )
    assert set(homes.counts(homes.old, "wayne").values()) == {0}
    assert set(homes.counts(homes.old, "initech").values()) == {2}  # the others stay
    text = dump.read_text()
    assert text.count(" FROM stdin;\n") == len(tenant_tables())
    # The dump loads back: psql's COPY blocks, here read the same way.
    restored = homes.old
    with restored.connect() as conn:
        for block in text.split("\\.\n\n")[:-1]:
            header, _, data = block.partition("\n")
            with conn.cursor().copy(header.removesuffix(";").replace("stdin", "STDIN")) as copy:
                copy.write(data.encode())
    assert set(homes.counts(homes.old, "wayne").values()) == {3}
    # Retiring again finds the rows back, dumps and deletes them again; once gone, a third
    # time keeps the dump as it is.
    again = homes.run()
    assert run_migration(again, move(retire=True))
    kept = dump.read_bytes()
    third = homes.run()
    assert run_migration(third, move(retire=True))
    assert third.journal.entries["migration:wayne/retire"].message == (
        f"nothing left to delete; the dump is kept at {dump}"
    )
    assert dump.read_bytes() == kept


def test_a_login_that_row_level_security_filters_gets_an_error_not_an_empty_copy(
    homes: Homes,
) -> None:
    with homes.old.connect() as conn:
        conn.execute("CREATE ROLE migrator LOGIN")
        for table in tenant_tables():
            name = sql.SQL("{}.{}").format(sql.Identifier(table.schema), sql.Identifier(table.name))
            conn.execute(
                sql.SQL("GRANT USAGE ON SCHEMA {} TO migrator").format(sql.Identifier(table.schema))
            )
            conn.execute(sql.SQL("GRANT SELECT ON {} TO migrator").format(name))
    run = homes.run(user="migrator")
    assert not run_migration(run, move())
    failed = run.journal.entries["migration:wayne/copy"]
    assert failed.outcome == "failed"
    assert "row-level security" in failed.message, failed.message
    assert set(homes.counts(homes.new, "wayne").values()) == {0}
