"""An agent acting in one tenant: start a run, call its steps, finish it.

The ACL is asked first, so that a request outside it fails before reaching the database,
with the reason `paybill acl check` gives. The database is asked next, and decides: the
functions run the step's one statement on the calling tenant's rows only, and refuse
outside an open run, out of order, past the run's limits, without a required approval, or
over the row cap (SQLSTATE PB403, raised here as `Refused`).

Each call runs in a transaction of its own (a savepoint when the connection is already in
one), so a refusal leaves the connection usable. Use an autocommit connection: a run
started inside a long transaction holds its tenant's run lock until that transaction ends.
A start that another start of the tenant beat under REPEATABLE READ or SERIALIZABLE fails
to serialize; outside a transaction of the caller's, `Agent.start` tries it again.

A step that needs a person's approval runs only with an approval of its very arguments
(`approve(..., arguments=...)`, see compiler.runtime.arguments), and uses it up.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from compiler.acl import Acl, Decision, Query, StepGrant, ToolCall, authorize, names
from compiler.runtime.arguments import call_arguments, canonical_json, tool_arguments

Connection = psycopg.Connection[Any]
Tool = Callable[..., Any]
START_TRIES = 5  # a start that failed to serialize is tried again, this many times in all


class Denied(PermissionError):
    """The ACL does not allow the call; the message is `paybill acl check`'s reason."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


class Refused(PermissionError):
    """The database refused the call (limits, order, approval, row cap); its message."""


def _function(workflow: str, step: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(
        sql.Identifier(names.API_SCHEMA), sql.Identifier(names.step_function(workflow, step))
    )


def _api(name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(names.API_SCHEMA), sql.Identifier(name))


@contextmanager
def _refusals(conn: Connection) -> Iterator[None]:
    try:
        with conn.transaction():
            yield
    except psycopg.Error as error:
        if error.sqlstate == names.REFUSED_SQLSTATE:
            raise Refused(error.diag.message_primary or str(error)) from None
        raise


class Agent:
    """`agent` of the tenant whose ACL is `acl`, acting over `conn`.

    `tools` maps a tool's name to the Python callable that performs it; a tool step calls
    it only once the ACL and the database have allowed the step. With `set_role` (the
    default), the connection first does `SET ROLE` to the agent's role from the ACL, so that
    the database knows for certain which agent is calling (the login must be granted it).
    """

    def __init__(
        self,
        conn: Connection,
        acl: Acl,
        agent: str,
        *,
        tools: Mapping[str, Tool] | None = None,
        set_role: bool = True,
    ) -> None:
        self.conn = conn
        self.acl = acl
        self.agent = agent
        self.tools = dict(tools or {})
        self.set_role = set_role
        self._parameters: dict[tuple[str, str], tuple[str, ...]] = {}

    def register(self, tool: str, function: Tool) -> None:
        self.tools[tool] = function

    def parameters(self, workflow: str, step: str) -> tuple[str, ...]:
        """The input parameters of a step's function, from the catalog (read once)."""
        key = (workflow, step)
        if key not in self._parameters:
            row = self.conn.execute(
                "SELECT p.proargnames[1:p.pronargs] FROM pg_catalog.pg_proc p"
                " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = %s AND p.proname = %s",
                [names.API_SCHEMA, names.step_function(workflow, step)],
            ).fetchone()
            self._parameters[key] = tuple(row[0]) if row and row[0] else ()
        return self._parameters[key]

    @contextmanager
    def run(self, workflow: str) -> Iterator[Run]:
        """A run of `workflow`, finished when the block ends (whatever happens in it)."""
        run = self.start(workflow)
        try:
            yield run
        finally:
            if run.open:
                run.finish()

    def start(self, workflow: str) -> Run:
        grant = self.acl.agents.get(self.agent)
        flow = grant.workflows.get(workflow) if grant is not None else None
        if grant is None or flow is None:
            raise Denied(authorize(self.acl, self.agent, workflow, ""))
        for attempt in range(1, START_TRIES + 1):
            try:
                with _refusals(self.conn):
                    if self.set_role:
                        self.conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(grant.role)))
                    row = self.conn.execute(
                        sql.SQL("SELECT {}(%s)").format(_api(names.START_RUN)), [workflow]
                    ).fetchone()
            except psycopg.errors.SerializationFailure:
                # Another start of the tenant won: under REPEATABLE READ or SERIALIZABLE this
                # one cannot count from its snapshot. In a transaction of the caller's, the
                # caller must start that again; otherwise the next try sees the other run.
                idle = self.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                if attempt == START_TRIES or not idle:
                    raise
                time.sleep(0.01 * attempt)
                continue
            assert row is not None
            return Run(self, workflow, row[0])
        raise AssertionError("unreachable: START_TRIES >= 1")


class Run:
    """One open run: call its steps in the order of the workflow, then `finish()`."""

    def __init__(self, agent: Agent, workflow: str, run_id: Any) -> None:
        self.agent = agent
        self.workflow = workflow
        self.id = run_id
        self.open = True

    # -- the ACL first ---------------------------------------------------------------
    def _allowed(self, step: str, action: Query | ToolCall, arguments: object) -> StepGrant:
        acl, agent = self.agent.acl, self.agent.agent
        decision = authorize(acl, agent, self.workflow, step, action)
        if decision.needs_approval and self.approved_until(step, arguments) is not None:
            decision = authorize(acl, agent, self.workflow, step, action, approved=True)
        if not decision.allowed:
            raise Denied(decision)
        assert decision.step is not None
        return decision.step

    def approved_until(self, step: str, arguments: object) -> datetime.datetime | None:
        """Until when an unused approval of `step` in this run, with `arguments`, holds
        (None: there is none). `arguments`: `call_arguments(...)` of a query step's call,
        `tool_arguments(...)` of a tool's."""
        with _refusals(self.agent.conn):
            row = self.agent.conn.execute(
                sql.SQL("SELECT {}(%s, %s, %s)").format(_api(names.APPROVAL)),
                [self.id, step, Jsonb(arguments, dumps=canonical_json)],
            ).fetchone()
        return row[0] if row else None

    # -- steps -------------------------------------------------------------------------
    def step(
        self,
        step: str,
        *,
        where: Mapping[str, Sequence[Any]] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]] | int:
        """Run a query step. `where`: for each where-column of the step, the values a row's
        column may equal (a list; None in it matches NULL). `values`: for an update, the
        new value of each column; for an insert, each column's list of values, one per row
        (the tenant column is the caller's tenant, never given). A select returns its rows,
        the others how many rows they changed."""
        where, values = dict(where or {}), dict(values or {})
        grant = self.agent.acl.agents[self.agent.agent].workflows.get(self.workflow)
        shape = next((s for s in grant.steps if s.id == step), None) if grant else None
        query = shape.query if shape is not None else None
        columns = list(query.columns) if query and query.operation == "select" else list(values)
        action = Query(
            query.table if query else "",
            query.operation if query else "",
            columns,
            list(where),
            rows=query.max_rows if query else None,
        )
        granted = self._allowed(step, action, call_arguments(where, values))
        assert granted.query is not None
        query = granted.query
        wanted = self.agent.parameters(self.workflow, step)
        missing = [c for c in query.where if c not in where]
        missing += [c for c in wanted if c in query.columns and c not in values]
        if missing:
            raise TypeError(f"step '{step}' needs values for {', '.join(missing)}")
        filled = [c for c in values if c not in wanted]
        if filled:
            raise TypeError(
                f"step '{step}' takes no value for {', '.join(filled)}: the database sets it "
                "(the tenant column is always the calling agent's tenant)"
            )
        arguments = [(names.RUN_PARAMETER, self.id)]
        arguments.extend((c, values[c]) for c in query.columns if c in wanted)
        arguments.extend((names.where_parameter(c), list(where[c])) for c in query.where)
        call = sql.SQL("{}({})").format(
            _function(self.workflow, step),
            sql.SQL(", ").join(
                sql.SQL("{} => %s").format(sql.Identifier(name)) for name, _ in arguments
            ),
        )
        params = [value for _, value in arguments]
        conn = self.agent.conn
        with _refusals(conn):
            if query.operation == "select":
                with conn.cursor(row_factory=dict_row) as cursor:
                    cursor.execute(sql.SQL("SELECT * FROM {}").format(call), params)
                    return cursor.fetchall()
            row = conn.execute(sql.SQL("SELECT {}").format(call), params).fetchone()
        assert row is not None
        return int(row[0])

    def tool(self, step: str, *args: Any, **kwargs: Any) -> Any:
        """Run a tool step: allowed by the ACL, recorded by the database (order, limits,
        approval), then performed by the registered callable, whose result is returned."""
        grant = self.agent.acl.agents[self.agent.agent].workflows.get(self.workflow)
        shape = next((s for s in grant.steps if s.id == step), None) if grant else None
        tool = shape.tool.name if shape is not None and shape.tool is not None else ""
        arguments = tool_arguments(*args, **kwargs)
        self._allowed(step, ToolCall(tool), arguments)
        function = self.agent.tools.get(tool)
        if function is None:
            raise LookupError(
                f"no callable is registered for tool '{tool}' (Agent(..., tools={{'{tool}': ...}}))"
            )
        params: list[Any] = [self.id]
        if names.TOOL_ARGUMENTS in self.agent.parameters(self.workflow, step):
            params.append(Jsonb(arguments, dumps=canonical_json))  # what the approval names
        marks = sql.SQL(", ").join(sql.SQL("%s") for _ in params)
        conn = self.agent.conn
        with _refusals(conn):
            conn.execute(
                sql.SQL("SELECT {}({})").format(_function(self.workflow, step), marks), params
            )
        return function(*args, **kwargs)

    def finish(self) -> str:
        """End the run: 'finished', or 'expired' when it ran past its timeout."""
        conn = self.agent.conn
        with _refusals(conn):
            row = conn.execute(
                sql.SQL("SELECT {}(%s)").format(_api(names.FINISH_RUN)), [self.id]
            ).fetchone()
        self.open = False
        assert row is not None
        return str(row[0])


def approve(
    conn: Connection,
    run: Any,
    step: str,
    approved_by: str,
    arguments: object,
    valid_for: datetime.timedelta = datetime.timedelta(hours=1),
) -> datetime.datetime:
    """Record that `approved_by` (a person) approved one call of `step` in `run`, with
    `arguments` (`call_arguments(where=..., values=...)` of a query step's call,
    `tool_arguments(...)` of a tool's), for `valid_for`; the connection's login must hold the
    target's approver role and no agent's. Returns when it expires."""
    with _refusals(conn):
        row = conn.execute(
            sql.SQL("SELECT {}(%s, %s, %s, %s, %s)").format(_api(names.APPROVE)),
            [run, step, Jsonb(arguments, dumps=canonical_json), approved_by, valid_for],
        ).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]
