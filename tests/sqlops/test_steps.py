"""Agents act only through their steps' functions, on a real PostgreSQL, in every target of
every spec set (pooled, bridge and silo): each step runs with its parameters and sees or
changes exactly the calling tenant's rows it should; another tenant's rows, asked for by
their keys, are neither seen nor changed; an agent holds no privilege on any table, so the
statements an outside review ran as an agent are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from compiler.emit.sql.state import StepState, TargetState
from compiler.pipeline import validate
from tests.conftest import ALL_SPECS, SPEC
from tests.sqlops.live import Conn, compile_to, effective, login, seed, sql_cmd
from tests.sqlops.steps import (
    Refused,
    approve,
    approved_arguments,
    call,
    finish,
    fresh_values,
    matching,
    rows_of,
    start,
    step_call,
    table_of,
)
from tests.support.postgres import Database, Databases

pytestmark = pytest.mark.postgres


def steps_of(state: TargetState, workflow: str) -> list[StepState]:
    order = next(w.steps for w in state.workflows if w.workflow == workflow)
    by_id = {s.step: s for s in state.steps if s.workflow == workflow}
    return [by_id[s] for s in order]


class Walk:
    """Runs of one agent, each step called with the values of one tenant's rows."""

    def __init__(self, db: Database, state: TargetState, conn: Conn, approver: Conn) -> None:
        self.db, self.state, self.conn, self.approver = db, state, conn, approver
        self.seq = 10_000
        self.called: set[tuple[str, str]] = set()

    def run(self, me: str, workflow: str, rows_of_tenant: str) -> int:
        """Every step of `workflow` in order, each aimed at `rows_of_tenant`'s rows; returns
        the checks made."""
        run = start(self.conn, workflow)
        checks = 0
        for step in steps_of(self.state, workflow):
            checks += self.step(me, run, step, rows_of_tenant)
            self.called.add((step.workflow, step.step))
        assert finish(self.conn, run) == "finished"
        return checks

    def step(self, me: str, run: Any, step: StepState, aimed: str) -> int:
        if step.operation == "tool":
            self._approve(run, step, {}, {})
            assert call(self.conn, *self._call(step, run, {}, {})) == [("",)]
            return 1
        table = table_of(self.state, step)
        column = self.state.tenant_column
        theirs = rows_of(self.db, self.state, table, aimed)
        if step.operation == "insert":
            if aimed != me:
                return 0  # the tenant column is never a parameter: inserts are the caller's
            self.seq += 1
            values = fresh_values(step, me, self.seq)
            self._approve(run, step, {}, values)
            assert call(self.conn, *self._call(step, run, {}, values)) == [(1,)]
            key = {c: values[c] for c in table.primary_key if c != column}
            assert len(matching(self.db, table, [], key, column, me)) == 1
            return 1
        target = theirs[-1] if step.operation == "delete" else theirs[0]
        where = {c.name: target[c.name] for c in step.where}
        names = [c.name for c in step.columns]
        keyed = aimed != me and any(c.key for c in step.where)
        before = rows_of(self.db, self.state, table, aimed)
        keys = [c for c in table.primary_key if c != column]
        hit = len(matching(self.db, table, keys, where, column, me))
        self.seq += 1
        values = fresh_values(step, me, self.seq) if step.operation == "update" else {}
        self._approve(run, step, where, values)
        if keyed:
            # Another tenant's row, named by its key: refused, whatever the step would do.
            with pytest.raises(Refused) as refused:
                call(self.conn, *self._call(step, run, where, values))
            assert "rows of other tenants are out of reach" in str(refused.value)
            assert rows_of(self.db, self.state, table, aimed) == before
            # The refused call did not count: naming no row lets the steps after it run.
            nothing: dict[str, Any] = {c: [] for c in where}
            self._approve(run, step, nothing, values, one_each=False)
            made = step_call(step, run, nothing, values, one_each=False)
            assert call(self.conn, made.query, made.params) in ([], [(0,)])
            return 1
        if step.operation == "select":
            got = call(self.conn, *self._call(step, run, where, {}))
            assert got == matching(self.db, table, names, where, column, me), step
            assert got or aimed != me
            return 1
        assert call(self.conn, *self._call(step, run, where, values)) == [(hit,)], step
        after = rows_of(self.db, self.state, table, aimed)
        if aimed != me:
            assert (hit, after) == (0, before)
        elif step.operation == "delete":
            assert len(after) == len(before) - hit
        else:
            key = {c: target[c] for c in keys}
            assert len(matching(self.db, table, [], {**key, **values}, column, me)) == 1
        return 1

    def _approve(
        self,
        run: Any,
        step: StepState,
        where: dict[str, Any],
        values: dict[str, Any],
        *,
        one_each: bool = True,
    ) -> None:
        """A person's approval of exactly this call, when the step needs one."""
        if step.approval:
            arguments = approved_arguments(step, where, values, one_each=one_each)
            approve(self.approver, run, step.step, arguments)

    def _call(
        self, step: StepState, run: Any, where: dict[str, Any], values: dict[str, Any]
    ) -> tuple[Any, list[Any]]:
        made = step_call(step, run, where, values)
        return made.query, made.params


def walk_target(
    pg: Databases, generated: Path, target: str, state: TargetState
) -> tuple[Walk, int]:
    db = pg.new(target)
    assert sql_cmd("apply", db, generated, target).code == 0
    seed(db, state)
    approver = next(r.name for r in state.roles if r.kind == "approver")
    checks = 0
    tenants = sorted({t for t, _ in state.agents})
    walk: Walk | None = None
    with login(db, approver, autocommit=True) as approving:
        for tenant, agent in state.agents:
            with login(db, agent.role, autocommit=True) as conn:
                walk = Walk(db, state, conn, approving) if walk is None else walk
                walk.conn = conn
                for workflow in agent.workflows:
                    checks += walk.run(tenant, workflow, tenant)
                    for other in tenants:
                        if other != tenant:
                            checks += walk.run(tenant, workflow, other)
    assert walk is not None
    return walk, checks


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_every_step_runs_and_touches_only_the_calling_tenants_rows(
    spec_dir: Path, pg: Databases, tmp_path: Path
) -> None:
    spec = validate(spec_dir)
    generated = tmp_path / "generated"
    states = compile_to(spec_dir, generated)
    called: set[tuple[str, str]] = set()
    isolation: set[str] = set()
    for target, state in states.items():
        if not state.agents:
            continue
        walk, checks = walk_target(pg, generated, target, state)
        assert checks > 0
        called |= walk.called
        isolation |= {spec.tenant(t).isolation for t, _ in state.agents}
    run_somewhere = {w for t in spec.tenants for a in t.agents for w in a.workflows}
    assert called == {
        (w.name, s.id) for w in spec.workflows if w.name in run_somewhere for s in w.steps
    }
    if spec_dir == SPEC:
        assert isolation == {"pooled", "bridge", "silo"}


ISSUE_STATEMENTS = (
    'UPDATE "billing"."invoices" SET "reminder_sent_at" = NULL',
    'UPDATE "billing"."invoices" SET "status" = "status" WHERE "status" = \'overdue\' '
    'RETURNING "id", "customer_email", "amount_cents"',
)


def test_agents_hold_no_table_privilege_and_the_reviewed_statements_are_refused(
    pg: Databases, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    states = compile_to(SPEC, generated)
    refused = 0
    for target, state in states.items():
        agents = [r.name for r in state.roles if r.kind == "agent"]
        if not agents:
            continue
        db = pg.new(target)
        assert sql_cmd("apply", db, generated, target).code == 0
        seed(db, state)
        with db.connect() as conn:
            assert effective(conn, agents, state) == set()
        for role in agents:
            with login(db, role) as conn:
                for statement in ISSUE_STATEMENTS:
                    with pytest.raises(psycopg.errors.InsufficientPrivilege) as raised:
                        conn.execute(statement.encode())
                    conn.rollback()
                    assert str(raised.value).splitlines()[0] == (
                        "permission denied for schema billing"
                    )
                    refused += 1
    assert refused >= 8
