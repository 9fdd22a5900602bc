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
    """An `Acl` from the parsed JSON of a file that passed the schema."""
    tenant = data["tenant"]
    agents = {name: _agent(tenant, name, body) for name, body in sorted(data["agents"].items())}
    denied = tuple(
        Denial(d["agent"], d.get("workflow"), d["reason"])
        for d in sorted(data["denied"], key=lambda d: (d["agent"], d.get("workflow") or ""))
    )
    return Acl(
        tenant=tenant,
        plan=data["plan"],
        state=data["state"],
        agents=agents,
        denied=denied,
        denied_agents={d.agent: d.reason for d in denied if d.workflow is None},
        denied_workflows={(d.agent, d.workflow): d.reason for d in denied if d.workflow},
    )


def _agent(tenant: str, name: str, body: Mapping[str, Any]) -> AgentGrant:
    return AgentGrant(
        name=name,
        role=body["role"],
        runs_per_day=body["limits"]["runsPerDay"],
        concurrent_runs=body["limits"]["concurrentRuns"],
        workflows={
            flow: _workflow(tenant, name, flow, spec)
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
        trigger=dict(body["trigger"]),
        max_steps=limits["maxSteps"],
        timeout_seconds=limits["timeoutSeconds"],
        max_rows_per_step=limits["maxRowsPerStep"],
        steps=steps,
        allow=allow,
    )


def _step(body: Mapping[str, Any]) -> StepGrant:
    query = tool = None
    if "query" in body:
        q = body["query"]
        query = QueryGrant(
            table=q["table"],
            schema=q["schema"],
            operation=q["operation"],
            columns=tuple(q["columns"]),
            where=tuple(q["where"]),
            max_rows=q["maxRows"],
            pii=tuple(q["pii"]),
            column_set=frozenset(q["columns"]),
            where_set=frozenset(q["where"]),
        )
    else:
        tool = ToolGrant(body["tool"]["name"], body["tool"]["effect"])
    return StepGrant(body["id"], tuple(body["after"]), body["approval"], query, tool)
