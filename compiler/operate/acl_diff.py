"""What a tenant's agents may do, before and after: the capability difference of two ACL files.

Each ACL is flattened into capabilities — an agent running a step of a workflow; a column it
reads or filters on, writes, or a table it deletes from; a tool it calls — and into the
limits and approvals around them. The difference says what becomes allowed and what stops
being allowed, and marks as *widening* every change that lets an agent do more, most
sensitive first: personal data newly reachable, a human approval dropped, rows newly
deleted, columns newly written, new steps that need a person's approval, columns newly
read or filtered on, tools newly called, a row cap, a run limit or a concurrency limit
raised. Lines are written for people, in the words of the ACL.
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
            out.add(
                f"{agent} / {workflow} / {step['id']}: newly reaches personal data {table}.{column}"
            )
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
    old_approvals, new_approvals = _approvals(before), _approvals(after)
    widening = [(0, line) for line in _pii(after) - _pii(before)]
    for key in sorted(old_approvals.keys() & new_approvals.keys()):
        if old_approvals[key] == "human" and new_approvals[key] != "human":
            widening.append((1, f"{key}: human approval dropped"))
        elif old_approvals[key] != "human" and new_approvals[key] == "human":
            change.narrowed.append(f"{key}: now needs human approval")
    widening.extend(_new_capabilities(change.allowed, new_approvals))
    old_numbers, new_numbers = _numbers(before), _numbers(after)
    for key in sorted(old_numbers.keys() & new_numbers.keys()):
        was, now = old_numbers[key], new_numbers[key]
        if now > was:
            widening.append((len(_WIDENING) + 2, f"{key} raised from {was} to {now}"))
        elif now < was:
            change.narrowed.append(f"{key} lowered from {was} to {now}")
    change.widened.extend(line for _, line in sorted(widening))
    change.narrowed.extend(
        f"no longer allowed: {line}" for line in change.removed if line.endswith(": may run")
    )
    return change


def widening_rank(line: str) -> int:
    """How sensitive a widening line is: 0 personal data, then approvals, deletes, writes,
    steps needing approval, reads, filters, tools, raised limits. Sorts grouped lines."""
    said = line.partition(": ")[2]
    if said.startswith("newly reaches personal data"):
        return 0
    if said == "human approval dropped":
        return 1
    for rank, (_, words) in enumerate(_WIDENING):
        if said.startswith(words):
            return rank + 2
    return len(_WIDENING) + 2


# A newly allowed capability, by its verb as `capabilities` writes it, and how a widening
# line says it; in this order, most sensitive first (after personal data and approvals).
_WIDENING = (
    ("delete from", "newly deletes from"),
    ("insert", "newly inserts"),
    ("update", "newly updates"),
    ("may run", "new step"),
    ("read", "newly reads"),
    ("filter on", "newly filters on"),
    ("call tool", "newly calls tool"),
)
_PER_COLUMN = frozenset({"insert", "update", "read", "filter on"})


def _new_capabilities(allowed: list[str], approvals: dict[str, str]) -> list[tuple[int, str]]:
    """The newly allowed capabilities as ranked widening lines: the columns of one step and
    table on one line; a new step says whether it needs a person's approval first."""
    grouped: dict[tuple[int, str, str], list[str]] = {}
    for line in allowed:
        where, _, what = line.partition(": ")
        rank, verb = next(
            (i, verb)
            for i, (verb, _) in enumerate(_WIDENING)
            if what == verb or what.startswith(verb + " ")
        )
        rest = what[len(verb) :].strip()
        table, _, column = rest.rpartition(".") if verb in _PER_COLUMN else (rest, "", "")
        grouped.setdefault((rank, where, table), []).append(column)
    out = []
    for (rank, where, subject), columns in sorted(grouped.items()):
        words = _WIDENING[rank][1]
        if words == "new step":
            # what the step does is said by the lines of its columns, tables and tools
            if approvals.get(where) == "human":
                out.append((rank + 2, f"{where}: new step that needs human approval"))
        elif any(columns):
            out.append((rank + 2, f"{where}: {words} {subject}.{', '.join(sorted(columns))}"))
        else:
            out.append((rank + 2, f"{where}: {words} {subject}"))
    return out
