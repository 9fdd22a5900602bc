"""Every target of every spec set, on a real PostgreSQL: apply, apply again (no-op), drift.

The ordered files and `sql apply` must reach the same state: applying the files (twice) is
checked with `drift` too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg import sql

from tests.conftest import ALL_SPECS, WriteSpec
from tests.emit.sql.specs import KEYWORDS
from tests.sqlops.fleet import TARGET
from tests.sqlops.live import apply_files, cli, compile_to, effective, expected, sql_cmd
from tests.support.postgres import Database, Databases

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("spec_dir", [*ALL_SPECS, None], ids=lambda p: p.name if p else "keywords")
def test_apply_twice_is_a_no_op_and_drift_is_clean(
    spec_dir: Path | None, write_spec: WriteSpec, pg: Databases, tmp_path: Path
) -> None:
    spec_dir = spec_dir or write_spec(KEYWORDS)
    states = compile_to(spec_dir, tmp_path / "generated")
    assert states
    for target, state in states.items():
        db = pg.new(target)
        first = sql_cmd("apply", db, tmp_path / "generated", target)
        assert first.code == 0, first.err
        assert first.out.startswith(f"{target}: applied ")
        assert "not changed" not in first.out
        again = sql_cmd("apply", db, tmp_path / "generated", target)
        tables = f"{len(state.tables)} table{'s' if len(state.tables) != 1 else ''}"
        checked = f"{len(state.roles)} roles, {tables}, {len(state.policies)} policies checked"
        assert (again.code, again.out) == (0, f"{target}: nothing to apply ({checked})\n")
        drift = sql_cmd("drift", db, tmp_path / "generated", target)
        assert (drift.code, drift.out, drift.err) == (0, f"{target}: no drift ({checked})\n", "")
        tenant_roles = [r.name for r in state.roles if r.kind != "grants"]
        with db.connect() as conn:
            assert effective(conn, tenant_roles, state) == expected(state)


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_the_ordered_files_reach_the_same_state(
    spec_dir: Path, pg: Databases, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    states = compile_to(spec_dir, generated)
    for target in states:
        db = pg.new(target)
        apply_files(db, generated, target)
        apply_files(db, generated, target)  # idempotent
        drift = sql_cmd("drift", db, generated, target)
        assert (drift.code, drift.err) == (0, ""), drift.out
        assert sql_cmd("apply", db, generated, target).out.startswith(f"{target}: nothing to apply")


def test_apply_creates_missing_columns_and_never_drops_data(
    pg: Databases, tmp_path: Path, write_spec: WriteSpec
) -> None:
    files = dict(KEYWORDS)
    generated = tmp_path / "generated"
    without = files["schema.yaml"].replace(
        '            - {name: where, type: "numeric(7, 2)", nullable: true}\n', ""
    )
    unused = files["agents.yaml"].replace("where: [where]", "where: [order]")
    assert without != files["schema.yaml"]
    assert unused != files["agents.yaml"]
    compile_to(write_spec({**files, "schema.yaml": without, "agents.yaml": unused}), generated)
    db = pg.new()
    assert sql_cmd("apply", db, generated, "pool-shared").code == 0
    with db.connect() as conn:
        conn.execute(
            """INSERT INTO "select"."from-items" ("order", "user", "group-by", "secret")
               VALUES (1, 'acme', 'a', 's')"""
        )
        conn.execute('CREATE TABLE "select"."kept" (x int)')
    compile_to(write_spec(files), generated)
    drift = sql_cmd("drift", db, generated, "pool-shared")
    assert drift.out.splitlines()[1:-1] == [
        '  column "where" of "select"."from-items" does not exist',
        '  "paybill_pool_shared_steps" lacks SELECT ("where") on "select"."from-items"',
        '  function paybill_api."file-items.find"(uuid,bigint[]) has other arguments or another '
        "result than the spec",
        '  function "paybill_api"."file-items.find" does not exist',
    ]
    assert sql_cmd("apply", db, generated, "pool-shared").code == 0
    with db.connect() as conn:
        rows = conn.execute('SELECT "order", "where" FROM "select"."from-items"').fetchall()
        kept = conn.execute("""SELECT to_regclass('"select"."kept"') IS NOT NULL""").fetchone()
    assert rows == [(1, None)]
    assert kept == (True,)
    assert sql_cmd("drift", db, generated, "pool-shared").code == 0


def test_a_login_that_is_no_superuser_applies_the_files_again_after_the_steps_change(
    pg: Databases, tmp_path: Path, fleet: Path
) -> None:
    """A managed database's admin login (RDS's, say) is no superuser: it may create roles and
    owns the database. It applies the files, then again once a step's body and another's
    arguments changed: replacing and dropping functions the steps role owns needs the
    membership the target's 00-roles.sql gives it before the shared files run."""
    generated = tmp_path / "generated"
    compile_to(fleet, generated)
    db = pg.new()
    with db.connect() as admin:
        admin.execute("CREATE ROLE deployer LOGIN CREATEROLE")
        admin.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO deployer").format(sql.Identifier(db.name))
        )
    as_deployer = Database(db.server, db.name)
    apply_files(as_deployer, generated, TARGET, user="deployer")
    agents = fleet / "agents.yaml"
    text = agents.read_text()
    for old, new in (
        ("maxRowsPerStep: 200", "maxRowsPerStep: 300"),
        ("where: [id]}", "where: [id, nudged]}"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    agents.write_text(text)
    compile_to(fleet, generated)
    with db.connect() as admin:  # as if another login applied this time
        admin.execute("REVOKE paybill_pool_fleet_eu_steps FROM deployer")
    apply_files(as_deployer, generated, TARGET, user="deployer")
    dsn = db.server.dsn(db.name, user="deployer")
    drift = cli("sql", "drift", "--target", TARGET, "--dsn", dsn, "--generated", str(generated))
    assert (drift.code, drift.err) == (0, ""), drift.out
