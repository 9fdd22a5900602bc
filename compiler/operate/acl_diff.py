"""What a tenant's agents may do, before and after: the capability difference of two ACL files.

Each ACL is flattened into capabilities — an agent running a step of a workflow; a column it
reads or filters on, writes, or a table it deletes from; a tool it calls — and into the
limits and approvals around them. The difference says what becomes allowed and what stops
being allowed, and marks the changes a reviewer must not miss as *widening*: personal data
newly reachable, a human approval dropped, a row cap, a run limit or a concurrency limit
raised, deleting newly allowed. Lines are written for people, in the words of the ACL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Acl = Mapping[str, Any]


@dataclass(frozen=True)
class AclChange:
    tenant: str
    allowed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    widened: list[str] = field(default_factory=list)
    narrowed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.allowed or self.removed or self.widened or self.narrowed)

    def to_json(self) -> dict[str, list[str]]:
        return {
            "allowed": self.allowed,
            "removed": self.removed,
            "widened": self.widened,
            "narrowed": self.narrowed,
        }


def _steps(
    acl: Acl | None,
) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(agent, workflow, step, workflow body, agent body) for every step the ACL allows."""
    if not acl:
        return
    for agent, body in sorted((acl.get("agents") or {}).items()):
        for workflow, flow in sorted((body.get("workflows") or {}).items()):
            for step in flow.get("steps") or []:
                yield agent, workflow, step, flow, body


def capabilities(acl: Acl | None) -> set[str]:
    """Every single thing the ACL lets an agent do, one line each."""
    out = set()
    for agent, workflow, step, _, _ in _steps(acl):
        where = f"{agent} / {workflow} / {step['id']}"
        out.add(f"{where}: may run")
        query = step.get("query")
        if query:
            table = f"{query['schema']}.{query['table']}"
            operation = query["operation"]
            if operation == "delete":
                out.add(f"{where}: delete from {table}")
            for column in query.get("columns") or []:
                verb = "read" if operation == "select" else operation
                out.add(f"{where}: {verb} {table}.{column}")
            for column in query.get("where") or []:
                out.add(f"{where}: filter on {table}.{column}")
        tool = step.get("tool")
        if tool:
            out.add(f"{where}: call tool {tool['name']}")
    return out


def _pii(acl: Acl | None) -> set[str]:
    out = set()
    for agent, workflow, step, _, _ in _steps(acl):
        query = step.get("query") or {}
        table = f"{query.get('schema')}.{query.get('table')}"
        for column in query.get("pii") or []:
            out.add(f"{agent} / {workflow} / {step['id']}: personal data {table}.{column}")
    return out


def _numbers(acl: Acl | None) -> dict[str, int]:
    """Limits, by what they limit; a larger value allows more."""
    out: dict[str, int] = {}
    if not acl:
        return out
    for agent, body in (acl.get("agents") or {}).items():
        for key, word in (("runsPerDay", "runs per day"), ("concurrentRuns", "concurrent runs")):
            value = (body.get("limits") or {}).get(key)
            if isinstance(value, int):
                out[f"{agent}: {word}"] = value
    for agent, workflow, step, flow, _ in _steps(acl):
        query = step.get("query") or {}
        if isinstance(query.get("maxRows"), int):
            out[f"{agent} / {workflow} / {step['id']}: rows per step"] = query["maxRows"]
        for key, word in (("maxSteps", "steps per run"), ("timeoutSeconds", "seconds per run")):
            value = (flow.get("limits") or {}).get(key)
            if isinstance(value, int):
                out[f"{agent} / {workflow}: {word}"] = value
    return out


def _approvals(acl: Acl | None) -> dict[str, str]:
    return {
        f"{agent} / {workflow} / {step['id']}": str(step.get("approval", "none"))
        for agent, workflow, step, _, _ in _steps(acl)
    }


def diff(tenant: str, before: Acl | None, after: Acl | None) -> AclChange:
    """The difference of one tenant's ACL (None: the tenant has no ACL there)."""
    old, new = capabilities(before), capabilities(after)
    change = AclChange(tenant, allowed=sorted(new - old), removed=sorted(old - new))
    widened, narrowed = change.widened, change.narrowed
    widened.extend(f"newly reachable: {line}" for line in sorted(_pii(after) - _pii(before)))
    widened.extend(f"newly allowed: {line}" for line in change.allowed if ": delete from " in line)
    old_numbers, new_numbers = _numbers(before), _numbers(after)
    for key in sorted(old_numbers.keys() & new_numbers.keys()):
        was, now = old_numbers[key], new_numbers[key]
        if now > was:
            widened.append(f"{key} raised from {was} to {now}")
        elif now < was:
            narrowed.append(f"{key} lowered from {was} to {now}")
    old_approvals, new_approvals = _approvals(before), _approvals(after)
    for key in sorted(old_approvals.keys() & new_approvals.keys()):
        if old_approvals[key] == "human" and new_approvals[key] != "human":
            widened.append(f"{key}: human approval dropped")
        elif old_approvals[key] != "human" and new_approvals[key] == "human":
            narrowed.append(f"{key}: now needs human approval")
    narrowed.extend(
        f"no longer allowed: {line}" for line in change.removed if line.endswith(": may run")
    )
    return change
