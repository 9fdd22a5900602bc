"""`paybill sql drift|apply`: arguments, exit codes, messages, and the dry run."""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import pytest

from compiler.sqlops.connect import mask, scrub
from tests.conftest import WriteSpec
from tests.emit.sql.specs import KEYWORDS
from tests.sqlops.live import cli, compile_to, sql_cmd
from tests.support.postgres import Databases

TARGET = "pool-shared"


@pytest.fixture
def generated(write_spec: WriteSpec, tmp_path: Path) -> Path:
    out = tmp_path / "generated"
    compile_to(write_spec(KEYWORDS), out)
    return out


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("form", ["keywords", "url"])
def test_an_unreachable_database_is_exit_3_with_the_password_masked(
    generated: Path, form: str
) -> None:
    port = closed_port()
    dsn = (
        f"host=127.0.0.1 port={port} user=admin password=s3cr3t-pw dbname=app"
        if form == "keywords"
        else f"postgresql://admin:s3cr3t-pw@127.0.0.1:{port}/app"
    )
    for action in ("drift", "apply"):
        run = cli("sql", action, "--target", TARGET, "--dsn", dsn, "--generated", str(generated))
        assert (run.code, run.out) == (3, "")
        assert "s3cr3t" not in run.err
        assert re.fullmatch(
            r"paybill: cannot connect to PostgreSQL \(user=admin password=\*\*\* dbname=app "
            rf"host=127\.0\.0\.1 port={port}\): .*Connection refused.*; check that the server "
            r"is running and reachable and that host, port, user, password and dbname are "
            r"right\n",
            run.err,
        ), run.err


def test_masking_and_scrubbing() -> None:
    assert mask("host=db user=u password='p w' dbname=x") == (
        "user=u password=*** dbname=x host=db"
    )
    assert mask("postgresql://u@db/x") == "user=u dbname=x host=db"
    assert (
        scrub("auth failed for p w at db", "host=db password='p w'") == "auth failed for *** at db"
    )
    assert scrub("nothing to hide", "host=db") == "nothing to hide"


def test_usage_errors_are_exit_1_for_drift_and_2_for_apply(generated: Path, tmp_path: Path) -> None:
    """`sql drift`'s 2 means drift: its usage mistakes exit 1, never reading as drift."""
    base = ("--generated", str(generated))
    cases = {
        ("--target", TARGET, "--dsn", "host=x port"): (
            "paybill: --dsn is not a valid PostgreSQL connection string; use "
            "'host=H port=P user=U dbname=D' or 'postgresql://U@H:P/D' (a password is better "
            "kept in PGPASSWORD or ~/.pgpass)\n"
        ),
        ("--target", "pool-nope", "--dsn", "host=x"): (
            f"paybill: no compiled SQL target 'pool-nope' in {generated}/sql "
            "(targets: pool-shared)\n"
        ),
        ("--target", "../../etc", "--dsn", "host=x"): (
            "paybill: --target '../../etc' is not a target name (pool-<pool> or tenant-<tenant>)\n"
        ),
    }
    for args, message in cases.items():
        run = cli("sql", "drift", *args, *base)
        assert (run.code, run.out, run.err) == (1, "", message)
        run = cli("sql", "apply", *args, *base)
        assert (run.code, run.out, run.err) == (2, "", message)
    empty = cli("sql", "apply", "--target", TARGET, "--dsn", "host=x", "--generated", str(tmp_path))
    assert (empty.code, empty.err) == (
        2,
        f"paybill: no compiled SQL target 'pool-shared' in {tmp_path}/sql "
        "(targets: none; run: paybill compile)\n",
    )
    with pytest.raises(SystemExit) as missing_action:
        cli("sql")
    assert missing_action.value.code == 2


def test_a_damaged_state_file_is_exit_3(generated: Path) -> None:
    drift = ("sql", "drift", "--target", TARGET, "--dsn", "host=x", "--generated", str(generated))
    for folder, version in (
        (TARGET, "paybill.dev/sql-target/v1"),
        ("shared", "paybill.dev/sql-runtime/v1"),
    ):
        state = generated / "sql" / folder / "state.json"
        kept = state.read_text()
        state.write_text(kept.replace('"profiles"', '"profile"'))
        run = cli(*drift)
        assert (run.code, run.err) == (
            3,
            f"paybill: {state} cannot be used (not a valid state file); it must be a "
            f"{version} file written by paybill compile: compile again\n",
        )
        state.write_text(kept)


def test_a_target_and_a_runtime_not_compiled_together_are_exit_3(generated: Path) -> None:
    drift = ("sql", "drift", "--target", TARGET, "--dsn", "host=x", "--generated", str(generated))
    shared = generated / "sql" / "shared" / "state.json"
    own = generated / "sql" / TARGET / "state.json"
    own.write_text(own.read_text().replace('"key": "workflow:file-items"', '"key": "workflow:x"'))
    run = cli(*drift)
    assert (run.code, run.err) == (
        3,
        f"paybill: {own} and {shared} were not compiled together (pool-shared names the "
        "roles of profiles the shared runtime does not have: workflow:x; and none for these "
        "of its profiles: workflow:file-items): compile again\n",
    )
    shared.unlink()
    run = cli(*drift)
    assert (run.code, run.err) == (
        3,
        f"paybill: {shared} is missing: the SQL every target shares is not there; compile again\n",
    )


def test_files_lists_the_shared_and_the_targets_files_in_the_order_to_apply(
    generated: Path,
) -> None:
    run = cli("sql", "files", "--target", TARGET, "--generated", str(generated))
    assert (run.code, run.err) == (0, "")
    sql = generated / "sql"
    assert run.out.splitlines() == [
        f"{sql}/shared/00-owner.sql",
        f"{sql}/{TARGET}/00-roles.sql",
        f"{sql}/shared/10-schema.sql",
        f"{sql}/shared/15-runs.sql",
        f"{sql}/shared/40-steps.sql",
        f"{sql}/{TARGET}/50-grants.sql",
        f"{sql}/{TARGET}/tenants/acme.sql",
        f"{sql}/{TARGET}/tenants/bolt-co.sql",
    ]


def test_files_refuses_what_it_cannot_order(generated: Path) -> None:
    files = ("sql", "files", "--generated", str(generated), "--target")
    unknown = cli(*files, "pool-nowhere")
    assert (unknown.code, unknown.out) == (2, "")
    assert unknown.err == (
        f"paybill: no compiled SQL target 'pool-nowhere' in {generated}/sql (targets: "
        "pool-shared)\n"
    )
    twice = generated / "sql" / TARGET / "10-schema.sql"
    twice.write_text("-- a file of the same name as one of the runtime's\n")
    both = cli(*files, TARGET)
    assert (both.code, both.out) == (3, "")
    assert both.err == (
        f"paybill: 10-schema.sql is both in {generated}/sql/shared and in {generated}/sql/"
        f"{TARGET}: the order of the two is not defined; compile again\n"
    )
    twice.unlink()
    shutil.rmtree(generated / "sql" / "shared")
    missing = cli(*files, TARGET)
    assert (missing.code, missing.err) == (
        3,
        f"paybill: {generated}/sql/shared is missing: compile again\n",
    )


@pytest.mark.postgres
def test_dry_run_prints_the_sql_and_changes_nothing(generated: Path, pg: Databases) -> None:
    db = pg.new()
    dry = sql_cmd("apply", db, generated, TARGET, "--dry-run")
    assert dry.code == 0
    lines = dry.out.splitlines()
    assert (lines[0], lines[-1]) == ("BEGIN;", "COMMIT;")
    assert lines[1] == (
        'CREATE ROLE "agent_acme_syncer" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT '
        "NOLOGIN NOREPLICATION NOBYPASSRLS;"
    )
    assert (
        'CREATE POLICY "tenant_bolt_co" ON "select"."from-items" AS PERMISSIVE FOR ALL TO '
        '"app_bolt_co"\n' in dry.out
    )
    drift = sql_cmd("drift", db, generated, TARGET)
    assert (drift.code, drift.out) == (2, FIRST_DRIFT.format(database=db.name))
    with db.connect() as conn:
        roles = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'paybill%'")
        assert roles.fetchone() == (0,)
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    again = sql_cmd("apply", db, generated, TARGET, "--dry-run")
    assert (again.code, again.out) == (
        0,
        "-- pool-shared: nothing to apply (9 roles, 1 table, 3 policies checked)\n",
    )


FIRST_DRIFT = """\
pool-shared: 71 differences from the compiled state
  role "agent_acme_syncer" does not exist
  role "agent_bolt_co_syncer" does not exist
  role "app_acme" does not exist
  role "app_bolt_co" does not exist
  role "paybill_owner" does not exist
  role "paybill_pool_shared_app" does not exist
  role "paybill_pool_shared_app_readonly" does not exist
  role "paybill_pool_shared_approver" does not exist
  role "paybill_pool_shared_steps" does not exist
  role "paybill_pool_shared_workflow_file_items" does not exist
  role "agent_acme_syncer" is not a member of "paybill_pool_shared_workflow_file_items"
  role "agent_bolt_co_syncer" is not a member of "paybill_pool_shared_workflow_file_items"
  role "app_acme" is not a member of "paybill_pool_shared_app"
  role "app_bolt_co" is not a member of "paybill_pool_shared_app"
  sessions of database "{database}" get idle_in_transaction_session_timeout unset; the spec \
says '60s'
  sessions of database "{database}" get lock_timeout unset; the spec says '10s'
  schema "paybill" does not exist
  schema "paybill_api" does not exist
  schema "select" does not exist
  table "paybill"."agents" does not exist
  table "paybill"."apply_lock" does not exist
  table "paybill"."approvals" does not exist
  table "paybill"."runs" does not exist
  table "paybill"."tenants" does not exist
  table "paybill"."workflows" does not exist
  table "select"."from-items" does not exist
  "paybill_pool_shared_steps" lacks USAGE on schema "paybill"
  "paybill_pool_shared_steps" lacks SELECT on "paybill"."agents"
  "paybill_pool_shared_steps" lacks SELECT, UPDATE ("used_at") on "paybill"."approvals"
  "paybill_pool_shared_steps" lacks SELECT, UPDATE ("done", "steps") on "paybill"."runs"
  "paybill_pool_shared_steps" lacks SELECT on "paybill"."tenants"
  "paybill_pool_shared_steps" lacks SELECT on "paybill"."workflows"
  "paybill_pool_shared_app" lacks USAGE on schema "paybill_api"
  "paybill_pool_shared_app_readonly" lacks USAGE on schema "paybill_api"
  "paybill_pool_shared_approver" lacks USAGE on schema "paybill_api"
  "paybill_pool_shared_steps" lacks CREATE, USAGE on schema "paybill_api"
  "paybill_pool_shared_workflow_file_items" lacks USAGE on schema "paybill_api"
  "paybill_pool_shared_app" lacks USAGE on schema "select"
  "paybill_pool_shared_app_readonly" lacks USAGE on schema "select"
  "paybill_pool_shared_steps" lacks USAGE on schema "select"
  "paybill_pool_shared_app" lacks SELECT, INSERT, UPDATE, DELETE on "select"."from-items"
  "paybill_pool_shared_app_readonly" lacks SELECT on "select"."from-items"
  "paybill_pool_shared_steps" lacks SELECT ("group-by", "order", "where"), INSERT ("group-by", \
"order", "user"), UPDATE ("group-by") on "select"."from-items"
  function "paybill"."keep_memberships" does not exist
  function "paybill"."retire_roles" does not exist
  function "paybill"."login_role" does not exist
  function "paybill"."caller_role" does not exist
  function "paybill"."agent" does not exist
  function "paybill"."digest" does not exist
  function "paybill"."refuse" does not exist
  function "paybill"."refuse_step" does not exist
  function "paybill"."refuse_keys" does not exist
  function "paybill"."tenant_role" does not exist
  function "paybill_api"."start_run" does not exist
  function "paybill_api"."finish_run" does not exist
  function "paybill_api"."approval" does not exist
  function "paybill_api"."approve" does not exist
  function "paybill_api"."entitlements" does not exist
  function "paybill_api"."file-items.add" does not exist
  function "paybill_api"."file-items.find" does not exist
  function "paybill_api"."file-items.regroup" does not exist
  row-level security on "select"."from-items" is off; the spec says on
  row-level security on "select"."from-items" is not forced; the spec says forced
  policy "paybill_steps" on "select"."from-items" does not exist
  policy "tenant_acme" on "select"."from-items" does not exist
  policy "tenant_bolt_co" on "select"."from-items" does not exist
  row 'agent_acme_syncer' of paybill.agents is missing
  row 'agent_bolt_co_syncer' of paybill.agents is missing
  row 'acme' of paybill.tenants is missing
  row 'bolt-co' of paybill.tenants is missing
  row 'file-items' of paybill.workflows is missing
run: paybill sql apply --target pool-shared --dsn DSN
"""
