"""The decision function: may this agent run this step of this workflow, doing this?

`authorize` is what `paybill acl check` calls and what an application or agent runtime calls
before every step. It reads only the loaded ACL: no spec, no network, no clock. Everything
not listed in the ACL is denied, and every deny says why.

A request names the step; it may also describe what the runtime is about to do (a `Query`
or a `ToolCall`), which must then fit inside what the step allows: the same table and
operation, a subset of its columns and where-columns, at most its row cap, the same tool.
A step that needs human approval is allowed only with `approved=True`.

`authorize` fails closed on any input: it never raises, and it allows only a request made of
exactly the types below that matches a grant. Anything else (an object that is not an `Acl`,
a name that is not text, columns given as one string, a row count that is not a whole
number, `approved="no"`, a damaged `Acl` built by hand) is denied, and the reason says why.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from compiler.acl.grants import Acl, AgentGrant, Decision, QueryGrant, StepGrant, WorkflowGrant


@dataclass(frozen=True, slots=True)
class Query:
    """A statement a runtime is about to run for a query step. `rows` is the most rows it
    may read or change (its LIMIT, or the affected-row bound it enforces); None leaves the
    cap to the runtime, which finds it in `Decision.step.query.max_rows`."""

    table: str
    operation: str
    columns: Collection[str] = ()
    where: Collection[str] = ()
    rows: int | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool a runtime is about to call for a tool step."""

    tool: str


Action = Query | ToolCall


def authorize(
    acl: Acl,
    agent: str,
    workflow: str,
    step: str,
    action: Action | None = None,
    *,
    approved: bool = False,
) -> Decision:
    """Allow exactly what `acl` lists for (agent, workflow, step); deny anything else."""
    try:
        if (
            type(agent) is str
            and type(workflow) is str
            and type(step) is str
            and type(approved) is bool
            and isinstance(acl, Acl)
        ):
            request = action if action is None else _action(action)
            if not isinstance(request, str):
                return _decide(acl, agent, workflow, step, request, approved=approved)
            problem = request
        else:
            problem = _request_problem(acl, agent, workflow, step, approved)
        return Decision(False, f"request denied: {problem}")
    except Exception as exc:  # fail closed: whatever went wrong, nothing is allowed
        return Decision(False, f"request denied: it could not be checked ({type(exc).__name__})")


def _request_problem(
    acl: object, agent: object, workflow: object, step: object, approved: object
) -> str:
    """Why the request cannot be answered, when one of its parts has an unexpected type."""
    if not isinstance(acl, Acl):
        return (
            f"the ACL is a {type(acl).__name__}, not an Acl (read one with compiler.acl.load, "
            "load_tenant or AclSet)"
        )
    for what, value in (("agent", agent), ("workflow", workflow), ("step", step)):
        if type(value) is not str:
            return f"the {what} must be text, not {type(value).__name__}"
    return f"approved must be True or False, not {type(approved).__name__}"


def _action(action: object) -> Action | str:
    """The action as it will be compared, or why it cannot be. Column collections other
    than lists, tuples and sets are read once into tuples, so that what is checked is what
    is compared (another collection could yield something else the second time)."""
    if isinstance(action, ToolCall):
        return action if type(action.tool) is str else "ToolCall.tool must be text"
    if not isinstance(action, Query):
        return f"the action is a {type(action).__name__}, not a Query or a ToolCall"
    if type(action.table) is not str or type(action.operation) is not str:
        return "Query.table and Query.operation must be text"
    columns = _names(action.columns)
    if isinstance(columns, str):
        return f"Query.columns {columns}"
    where = _names(action.where)
    if isinstance(where, str):
        return f"Query.where {where}"
    rows = action.rows
    if rows is not None and (type(rows) is not int or rows < 0):
        return "Query.rows must be None or a whole number of 0 or more"
    if columns is action.columns and where is action.where:
        return action
    return Query(action.table, action.operation, columns, where, rows)


# Collections that yield the same items every time they are iterated.
_STABLE = frozenset({tuple, list, frozenset, set})


def _names(value: object) -> Collection[str] | str:
    """`value` if it is a collection of names (read into a tuple unless it is a list, tuple
    or set), or what is wrong with it."""
    if type(value) in _STABLE:
        read: Collection[object] = value  # type: ignore[assignment]
    elif isinstance(value, Collection) and not isinstance(value, str | bytes):
        read = tuple(value)
    else:
        return f"must be a collection of names, not {type(value).__name__}"
    for name in read:
        if type(name) is not str:
            return "must hold names as text"
    return read  # type: ignore[return-value]


def _decide(
    acl: Acl, agent: str, workflow: str, step: str, action: Action | None, *, approved: bool
) -> Decision:
    grant = acl.agents.get(agent)
    if grant is None:
        return _no_agent(acl, agent)
    flow = grant.workflows.get(workflow)
    if flow is None:
        return _no_workflow(acl, grant, workflow)
    allow = flow.allow.get(step)
    if allow is None:
        return _no_step(acl, agent, flow, step)
    granted = allow.step
    assert granted is not None
    if action is not None:
        problem = _mismatch(granted, action)
        if problem:
            return Decision(False, f"{_subject(acl, agent, workflow, step)}: {problem}", granted)
    if granted.approval == "human" and not approved:
        return Decision(
            False,
            f"{_subject(acl, agent, workflow, step)}: the step needs human approval first",
            granted,
            needs_approval=True,
        )
    return allow


def _subject(acl: Acl, agent: str, workflow: str, step: str) -> str:
    return f"agent '{agent}' in tenant '{acl.tenant}', workflow '{workflow}', step '{step}'"


def _no_agent(acl: Acl, agent: str) -> Decision:
    if acl.missing:
        return Decision(False, acl.missing)
    why = acl.denied_agents.get(agent)
    if why is not None:
        return Decision(False, f"agent '{agent}' may not act in tenant '{acl.tenant}': {why}")
    return Decision(
        False,
        f"agent '{agent}' has no access in tenant '{acl.tenant}' (not in its ACL; "
        "everything not listed is denied)",
    )


def _no_workflow(acl: Acl, grant: AgentGrant, workflow: str) -> Decision:
    why = acl.denied_workflows.get((grant.name, workflow))
    if why is not None:
        return Decision(
            False,
            f"agent '{grant.name}' may not run workflow '{workflow}' in tenant "
            f"'{acl.tenant}': {why}",
        )
    return Decision(
        False,
        f"workflow '{workflow}' is not one of agent '{grant.name}''s workflows in tenant "
        f"'{acl.tenant}' (allowed: {', '.join(grant.workflows)})",
    )


def _no_step(acl: Acl, agent: str, flow: WorkflowGrant, step: str) -> Decision:
    steps = ", ".join(s.id for s in flow.steps)
    return Decision(
        False,
        f"workflow '{flow.name}' has no step '{step}' (agent '{agent}' in tenant "
        f"'{acl.tenant}' may run: {steps})",
    )


def _mismatch(granted: StepGrant, action: Action) -> str:
    """What about `action` the step does not allow, or "" when it fits."""
    if isinstance(action, ToolCall):
        if granted.tool is None:
            return "the step runs a query, not a tool call"
        if action.tool != granted.tool.name:
            return f"the step may call tool '{granted.tool.name}', not '{action.tool}'"
        return ""
    if granted.query is None:
        return "the step calls a tool, not a query"
    return _query_mismatch(granted.query, action)


def _query_mismatch(allowed: QueryGrant, query: Query) -> str:
    if query.table != allowed.table:
        return f"the step queries table '{allowed.table}', not '{query.table}'"
    if query.operation != allowed.operation:
        return f"the step may {allowed.operation}, not {query.operation}"
    if not allowed.column_set.issuperset(query.columns):
        extra = sorted(set(query.columns) - allowed.column_set)
        return (
            f"column(s) {', '.join(extra)} not allowed for {allowed.operation} "
            f"(allowed: {', '.join(allowed.columns) or 'none'})"
        )
    if not allowed.where_set.issuperset(query.where):
        extra = sorted(set(query.where) - allowed.where_set)
        return (
            f"where-column(s) {', '.join(extra)} not allowed "
            f"(allowed: {', '.join(allowed.where) or 'none'})"
        )
    if query.rows is not None and query.rows > allowed.max_rows:
        return f"{query.rows} rows is over the step's cap of {allowed.max_rows}"
    return ""
