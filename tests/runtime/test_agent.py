"""The runtime over a real PostgreSQL: a tenant's agents run their workflows through
`compiler.runtime`, which asks the ACL first (refusing in `paybill acl check`'s words) and
the database next (which refuses what only it can count)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from compiler.acl import AclSet
from compiler.emit.sql.state import TargetState
from compiler.runtime import Agent, Denied, Refused, approve, tool_arguments
from tests.acl.compiled import compile_acl
from tests.conftest import SPEC
from tests.sqlops.live import Conn, cli, compile_to, login, seed, sql_cmd
from tests.support.postgres import Database, Databases

pytestmark = pytest.mark.postgres
TARGET = "tenant-wayne"  # a bridge tenant's own database


@dataclass
class Wayne:
    db: Database
    state: TargetState
    generated: Path
    rows: dict[tuple[str, str], list[dict[str, str]]]

    def acl_check(self, *request: str) -> str:
        """What `paybill acl check` says, without its 'deny: ' and its hint."""
        run = cli("acl", "check", "wayne", *request, "--generated", str(self.generated))
        assert run.code == 1
        reason = run.out.removeprefix("deny: ").rstrip("\n")
        return reason.removesuffix(" (once a person has approved, check again with --approved)")


@pytest.fixture
def wayne(pg: Databases, tmp_path: Path) -> Wayne:
    generated = tmp_path / "generated"
    state = compile_to(SPEC, generated)[TARGET]
    compile_acl(SPEC, generated)
    db = pg.new()
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    return Wayne(db, state, generated, seed(db, state))


@pytest.fixture
def collections(wayne: Wayne) -> Iterator[Conn]:
    with login(wayne.db, "agent_wayne_collections", autocommit=True) as conn:
        yield conn


def agent(wayne: Wayne, conn: Conn, name: str, **tools: Any) -> Agent:
    acl = AclSet(wayne.generated / "acl").tenant("wayne")
    return Agent(conn, acl, name, tools={k.replace("_", "-"): v for k, v in tools.items()})


def test_a_workflow_runs_step_by_step_and_its_tool_is_called_once_allowed(
    wayne: Wayne, collections: Conn
) -> None:
    invoice = wayne.rows[("invoices", "wayne")][0]
    sent: list[Any] = []
    reminders = agent(wayne, collections, "collections", email_send=sent.append)
    with reminders.run("invoice-reminders") as run:
        found = run.step(
            "find-overdue",
            where={
                "status": [invoice["status"]],
                "due_at": [invoice["due_at"]],
                "reminder_sent_at": [invoice["reminder_sent_at"], None],
            },
        )
        assert isinstance(found, list)
        assert [(str(r["id"]), r["customer_email"]) for r in found] == [
            (invoice["id"], invoice["customer_email"])
        ]
        run.tool("notify", found)
        now = datetime.datetime(2030, 1, 2, tzinfo=datetime.UTC)
        marked = run.step(
            "mark-sent", values={"reminder_sent_at": now}, where={"id": [r["id"] for r in found]}
        )
        assert marked == 1
    assert (sent, run.open) == ([found], False)
    with wayne.db.connect() as conn:
        done = conn.execute("SELECT status, steps, done FROM paybill.runs").fetchall()
    assert done == [("finished", 3, ["find-overdue", "notify", "mark-sent"])]


def test_denials_are_in_the_words_of_paybill_acl_check(wayne: Wayne, collections: Conn) -> None:
    for name, workflow, step in (
        ("nobody", "invoice-reminders", "find-overdue"),
        ("collections", "ticket-triage", "read-ticket"),
    ):
        with pytest.raises(Denied) as denied:
            agent(wayne, collections, name).start(workflow)
        assert str(denied.value) == wayne.acl_check(name, workflow, step)
    with agent(wayne, collections, "collections").run("invoice-reminders") as run:
        with pytest.raises(Denied) as denied:
            run.step("find-overdue", where={"status": ["x"], "customer_email": ["x"]})
        assert str(denied.value) == (
            "agent 'collections' in tenant 'wayne', workflow 'invoice-reminders', step "
            "'find-overdue': where-column(s) customer_email not allowed (allowed: status, "
            "due_at, reminder_sent_at)"
        )
        with pytest.raises(Refused) as refused:
            run.step("mark-sent", values={"reminder_sent_at": None}, where={"id": []})
        assert str(refused.value) == (
            "agent 'collections' in tenant 'wayne', workflow 'invoice-reminders', step "
            "'mark-sent': step(s) notify must run first"
        )


def test_a_step_that_needs_a_person_waits_for_the_approver(wayne: Wayne) -> None:
    payment = wayne.rows[("payments", "wayne")][0]
    refunds: list[str] = []
    with (
        login(wayne.db, "agent_wayne_reconciler", autocommit=True) as conn,
        login(wayne.db, "paybill_tenant_wayne_approver", autocommit=True) as approver,
    ):
        reconciler = agent(wayne, conn, "reconciler")
        with reconciler.run("refund-approval") as run:
            run.step("load-payment", where={"id": [payment["id"]]})
            with pytest.raises(Denied) as denied:
                run.tool("refund", payment["id"])
            assert str(denied.value) == wayne.acl_check("reconciler", "refund-approval", "refund")
            assert denied.value.decision.needs_approval
            approve(approver, run.id, "refund", "Ann from finance", tool_arguments(payment["id"]))
            with pytest.raises(LookupError) as missing:
                run.tool("refund", payment["id"])
            assert str(missing.value) == (
                "no callable is registered for tool 'refund-issue' "
                "(Agent(..., tools={'refund-issue': ...}))"
            )
            reconciler.register("refund-issue", lambda id_: refunds.append(id_) or "ok")
            assert run.tool("refund", payment["id"]) == "ok"
            # The approval served that call: the same refund again needs a new one.
            with pytest.raises(Denied) as again:
                run.tool("refund", payment["id"])
            assert again.value.decision.needs_approval
            with pytest.raises(TypeError) as typed:
                run.step("record", values={"id": [], "tenant_id": ["wayne"]})
            assert str(typed.value) == (
                "step 'record' needs values for payment_id, kind, detail, at"
            )
            event = {
                "id": ["6f1b7b1e-2f8e-4b43-9c66-0d6f2a8d6a01"],
                "payment_id": [payment["id"]],
                "kind": ["refund"],
                "detail": ['{"by": "Ann"}'],
                "at": ["2030-01-02T00:00:00+00:00"],
            }
            with pytest.raises(TypeError) as typed:
                run.step("record", values={**event, "tenant_id": ["other"]})
            assert str(typed.value) == (
                "step 'record' takes no value for tenant_id: the database sets it (the tenant "
                "column is always the calling agent's tenant)"
            )
            assert run.step("record", values=event) == 1
    assert refunds == [payment["id"]]
    with wayne.db.connect() as conn:
        rows = conn.execute(
            "SELECT tenant_id, kind FROM billing.\"payment-events\" WHERE kind = 'refund'"
        )
        assert rows.fetchall() == [("wayne", "refund")]


def test_a_start_that_failed_to_serialize_is_tried_again(wayne: Wayne, collections: Conn) -> None:
    """Under REPEATABLE READ, a start that waited for another start of the tenant cannot
    count from its snapshot: the database says so (40001), and the runtime starts again."""
    collections.execute("SET default_transaction_isolation = 'repeatable read'")
    with login(wayne.db, "agent_wayne_reconciler") as other:
        other.execute("SELECT paybill_api.start_run('payment-reconciliation')")  # holds the row
        releasing = threading.Timer(0.5, other.commit)
        releasing.start()
        try:
            run = agent(wayne, collections, "collections").start("invoice-reminders")
        finally:
            releasing.join()
    assert run.finish() == "finished"
    with wayne.db.connect() as conn:
        started = conn.execute("SELECT count(*) FROM paybill.runs").fetchone()
    assert started == (2,)
