"""An ACL file in memory: what one tenant's agents may do, indexed for fast decisions.

Everything is built once, when the file is loaded: dictionaries by name for agents, workflows
and steps, frozensets for column checks, and the allow decision of every step, so that a
decision afterwards is a handful of dictionary look-ups and no allocation on the allow path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class QueryGrant:
    """The one statement a query step may run."""

    table: str
    schema: str
    operation: str  # select | insert | update | delete
    columns: tuple[str, ...]
    where: tuple[str, ...]
    max_rows: int
    pii: tuple[str, ...]
    column_set: frozenset[str] = field(default=frozenset(), repr=False)
    where_set: frozenset[str] = field(default=frozenset(), repr=False)

    def describe(self) -> str:
        """`select id, status from billing.invoices where id, at most 500 rows`."""
        target = f"{self.schema}.{self.table}"
        cols = ", ".join(self.columns)
        if self.operation == "select":
            text = f"select {cols} from {target}"
        elif self.operation == "insert":
            text = f"insert {cols} into {target}"
        elif self.operation == "update":
            text = f"update {cols} of {target}"
        else:
            text = f"delete from {target}"
        if self.where:
            text += f" where {', '.join(self.where)}"
        return f"{text}, at most {self.max_rows} row{'' if self.max_rows == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class ToolGrant:
    """The one tool a tool step may call."""

    name: str
    effect: str  # read | write | destructive | external

    def describe(self) -> str:
        return f"call tool {self.name} ({self.effect})"


@dataclass(frozen=True, slots=True)
class StepGrant:
    id: str
    after: tuple[str, ...]
    approval: str  # none | human
    query: QueryGrant | None
    tool: ToolGrant | None

    @property
    def kind(self) -> str:
        return "query" if self.query is not None else "tool"

    def describe(self) -> str:
        what = self.query.describe() if self.query is not None else self._tool().describe()
        return what + ("; needs human approval" if self.approval == "human" else "")

    def _tool(self) -> ToolGrant:
        assert self.tool is not None
        return self.tool


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one request. `reason` says why, in words a reviewer can act on.

    `step` is what the step allows (for an allowed request, and for a denied one that named
    an existing step). `needs_approval` is true when the only thing missing is a person's
    approval: ask for it, then ask again with `approved=True`.
    """

    allowed: bool
    reason: str
    step: StepGrant | None = None
    needs_approval: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class WorkflowGrant:
    name: str
    trigger: Mapping[str, str]  # {"schedule": cron} or {"event": name}
    max_steps: int
    timeout_seconds: int
    max_rows_per_step: int
    steps: tuple[StepGrant, ...]  # topological order
    allow: Mapping[str, Decision]  # step id -> the decision that allows it


@dataclass(frozen=True, slots=True, eq=False)
class AgentGrant:
    name: str
    role: str
    runs_per_day: int
    concurrent_runs: int
    workflows: Mapping[str, WorkflowGrant]


@dataclass(frozen=True, slots=True)
class Denial:
    agent: str
    workflow: str | None  # None: the whole agent is absent from the tenant
    reason: str


@dataclass(frozen=True, slots=True, eq=False)
class Acl:
    """One tenant's ACL. `missing` is set when there is no file for the tenant (deleted or
    unknown): such an ACL allows nothing and says why."""

    tenant: str
    plan: str
    state: str
    agents: Mapping[str, AgentGrant]
    denied: tuple[Denial, ...]
    missing: str = ""
    denied_agents: Mapping[str, str] = field(default_factory=dict, repr=False)
    denied_workflows: Mapping[tuple[str, str], str] = field(default_factory=dict, repr=False)

    @classmethod
    def nothing(cls, tenant: str, why: str) -> Acl:
        """An ACL that denies every request with `why`."""
        return cls(tenant, "", "", {}, (), missing=why)


def build(data: Mapping[str, Any]) -> Acl:
    """An `Acl` from the parsed JSON of a file that passed the schema.

    Every value is checked for its type as it is taken, so that data which skipped the
    schema check (`validate=False`) still cannot put anything but text and whole numbers
    where decisions read them; a wrong type raises (TypeError), which the loader turns into
    an AclError.
    """
    tenant = _text(data["tenant"])
    state = _text(data["state"])
    agents = {
        _text(name): _agent(tenant, name, body) for name, body in sorted(data["agents"].items())
    }
    if agents and state != "active":
        raise ValueError(f"a tenant in state '{state}' has no agents")
    denied = tuple(
        Denial(_text(d["agent"]), _optional_text(d.get("workflow")), _text(d["reason"]))
        for d in sorted(data["denied"], key=lambda d: (d["agent"], d.get("workflow") or ""))
    )
    return Acl(
        tenant=tenant,
        plan=_text(data["plan"]),
        state=state,
        agents=agents,
        denied=denied,
        denied_agents={d.agent: d.reason for d in denied if d.workflow is None},
        denied_workflows={(d.agent, d.workflow): d.reason for d in denied if d.workflow},
    )


def _agent(tenant: str, name: str, body: Mapping[str, Any]) -> AgentGrant:
    return AgentGrant(
        name=name,
        role=_text(body["role"]),
        runs_per_day=_count(body["limits"]["runsPerDay"]),
        concurrent_runs=_count(body["limits"]["concurrentRuns"]),
        workflows={
            _text(flow): _workflow(tenant, name, flow, spec)
            for flow, spec in sorted(body["workflows"].items())
        },
    )


def _workflow(tenant: str, agent: str, name: str, body: Mapping[str, Any]) -> WorkflowGrant:
    steps = tuple(_step(s) for s in body["steps"])
    allow = {
        step.id: Decision(
            True,
            f"agent '{agent}' may run step '{step.id}' of workflow '{name}' in tenant "
            f"'{tenant}': {step.describe()}",
            step,
        )
        for step in steps
    }
    limits = body["limits"]
    return WorkflowGrant(
        name=name,
        trigger={_text(k): _text(v) for k, v in body["trigger"].items()},
        max_steps=_count(limits["maxSteps"]),
        timeout_seconds=_count(limits["timeoutSeconds"]),
        max_rows_per_step=_count(limits["maxRowsPerStep"]),
        steps=steps,
        allow=allow,
    )


def _step(body: Mapping[str, Any]) -> StepGrant:
    query = tool = None
    if "query" in body:
        q = body["query"]
        columns, where = _texts(q["columns"]), _texts(q["where"])
        query = QueryGrant(
            table=_text(q["table"]),
            schema=_text(q["schema"]),
            operation=_text(q["operation"]),
            columns=columns,
            where=where,
            max_rows=_count(q["maxRows"]),
            pii=_texts(q["pii"]),
            column_set=frozenset(columns),
            where_set=frozenset(where),
        )
    else:
        tool = ToolGrant(_text(body["tool"]["name"]), _text(body["tool"]["effect"]))
    return StepGrant(
        _text(body["id"]), _texts(body["after"]), _approval(body["approval"]), query, tool
    )


def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"expected text, found {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _texts(values: Any) -> tuple[str, ...]:
    if type(values) is not list:
        raise TypeError(f"expected a list of text, found {type(values).__name__}")
    return tuple(_text(value) for value in values)


def _count(value: Any) -> int:
    if type(value) is not int or value < 1:
        found = value if type(value) is int else type(value).__name__
        raise TypeError(f"expected a whole number of at least 1, found {found}")
    return value


def _approval(value: Any) -> str:
    """`none` or `human`; anything else would be read as no approval needed."""
    if value not in APPROVALS:
        raise ValueError("approval must be 'none' or 'human'")
    return _text(value)


APPROVALS = ("none", "human")
