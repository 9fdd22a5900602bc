"""Every (tenant, agent, workflow, step) of spec/ and each example, decided by the compiled
ACL, against an expectation read from the raw YAML in a few lines.

The expectation uses neither the compiler's resolved model nor its emitter: it reads the
documents with PyYAML and applies the rules as the DSL page states them. If the compiler and
this page of reasoning disagree on a single cell, the test names it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.acl import AclSet, authorize
from tests.acl.compiled import compile_acl
from tests.conftest import AGENT_SPECS

Raw = dict[str, dict[str, dict[str, Any]]]  # kind -> name -> spec


def raw_spec(spec_dir: Path) -> Raw:
    out: Raw = defaultdict(dict)
    for path in sorted([*spec_dir.rglob("*.yaml"), *spec_dir.rglob("*.yml")]):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                out[doc["kind"]][doc["metadata"]["name"]] = doc["spec"]
    return out


@dataclass(frozen=True)
class Expected:
    allowed: bool  # with approval given
    human: bool  # the step waits for a person


def runs_per_day(raw: Raw, tenant: dict[str, Any], agent: dict[str, Any]) -> int:
    """The least of the agent's limit and the tenant's agentRunsPerDay (override first)."""
    overrides = tenant.get("overrides", {}).get("limits", {})
    plan_limit = raw["Plan"][tenant["plan"]]["limits"]["agentRunsPerDay"]
    limit = overrides.get("agentRunsPerDay", plan_limit)
    mine: int = agent["limits"]["runsPerDay"]
    return mine if limit is None else min(mine, limit)


def needs_human(raw: Raw, step: dict[str, Any]) -> bool:
    if "approval" in step:
        return bool(step["approval"] == "human")
    if "query" in step:
        return bool(step["query"]["operation"] == "delete")
    tool = raw["Tool"][step["tool"]]
    default = "human" if tool["effect"] == "destructive" else "none"
    return bool(tool.get("approval", default) == "human")


def expect(raw: Raw, tenant: str, agent: str, workflow: str, step: str) -> Expected:
    t = raw["Tenant"][tenant]
    a = raw["Agent"].get(agent)
    w = raw["Workflow"].get(workflow)
    if a is None or w is None or t["state"] != "active" or workflow not in a["workflows"]:
        return Expected(False, False)
    features = set(raw["Plan"][t["plan"]].get("features", []))
    features |= set(t.get("overrides", {}).get("features", []))
    if w.get("requiresFeature", None) not in features | {None}:
        return Expected(False, False)
    if runs_per_day(raw, t, a) == 0:
        return Expected(False, False)
    found = next((s for s in w["steps"] if s["id"] == step), None)
    if found is None:
        return Expected(False, False)
    return Expected(True, needs_human(raw, found))


def universe(raw: Raw) -> list[tuple[str, str, str, str]]:
    """Every tenant (deleted ones too) x every agent and one unknown x every workflow and one
    unknown x every step id of any workflow and one unknown."""
    agents = [*sorted(raw["Agent"]), "stranger"]
    workflows = [*sorted(raw["Workflow"]), "no-such-workflow"]
    steps = sorted({s["id"] for w in raw["Workflow"].values() for s in w["steps"]} | {"nope"})
    return [
        (t, a, w, s)
        for t in sorted(raw["Tenant"])
        for a in agents
        for w in workflows
        for s in steps
    ]


@pytest.fixture(scope="module", params=AGENT_SPECS, ids=lambda p: p.name)
def compiled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Raw, AclSet]:
    spec_dir: Path = request.param
    out = compile_acl(spec_dir, tmp_path_factory.mktemp(spec_dir.name))
    return raw_spec(spec_dir), AclSet(out / "acl")


def test_every_cell_of_the_matrix_matches_the_yaml(compiled: tuple[Raw, AclSet]) -> None:
    raw, acls = compiled
    wrong = []
    outcomes: dict[str, int] = defaultdict(int)
    for tenant, agent, workflow, step in universe(raw):
        want = expect(raw, tenant, agent, workflow, step)
        acl = acls.tenant(tenant)
        plain = authorize(acl, agent, workflow, step)
        approved = authorize(acl, agent, workflow, step, approved=True)
        got = (plain.allowed, plain.needs_approval, approved.allowed)
        wanted = (want.allowed and not want.human, want.allowed and want.human, want.allowed)
        if got != wanted:
            wrong.append(f"{tenant} {agent} {workflow} {step}: {got} != {wanted}")
        outcomes["allow" if plain.allowed else "wait" if plain.needs_approval else "deny"] += 1
    assert wrong == []
    assert outcomes["allow"] > 0
    assert outcomes["deny"] > 0


def test_allowed_steps_carry_exactly_what_the_yaml_grants(compiled: tuple[Raw, AclSet]) -> None:
    raw, acls = compiled
    checked = 0
    for tenant, agent, workflow, step in universe(raw):
        if not expect(raw, tenant, agent, workflow, step).allowed:
            continue
        granted = authorize(acls.tenant(tenant), agent, workflow, step, approved=True).step
        assert granted is not None
        flow = raw["Workflow"][workflow]
        written = next(s for s in flow["steps"] if s["id"] == step)
        assert granted.after == tuple(written.get("after", []))
        if "tool" in written:
            tool = raw["Tool"][written["tool"]]
            assert (granted.query, granted.tool.name if granted.tool else None) == (
                None,
                written["tool"],
            )
            assert granted.tool is not None
            assert granted.tool.effect == tool["effect"]
        else:
            query = written["query"]
            assert granted.query is not None
            assert (
                granted.query.table,
                granted.query.operation,
                granted.query.columns,
                granted.query.where,
                granted.query.max_rows,
            ) == (
                query["table"],
                query["operation"],
                tuple(query.get("columns", [])),
                tuple(query.get("where", [])),
                flow["limits"]["maxRowsPerStep"],
            )
        checked += 1
    assert checked > 0


def test_agent_and_workflow_limits_are_resolved_as_the_yaml_says(
    compiled: tuple[Raw, AclSet],
) -> None:
    raw, acls = compiled
    for name, acl in acls.items():
        tenant = raw["Tenant"][name]
        for agent in acl.agents.values():
            spec = raw["Agent"][agent.name]
            assert agent.runs_per_day == runs_per_day(raw, tenant, spec)
            assert agent.concurrent_runs == spec["limits"]["concurrentRuns"]
            for flow in agent.workflows.values():
                limits = raw["Workflow"][flow.name]["limits"]
                assert (flow.max_steps, flow.timeout_seconds, flow.max_rows_per_step) == (
                    limits["maxSteps"],
                    limits["timeoutSeconds"],
                    limits["maxRowsPerStep"],
                )
                assert dict(flow.trigger) == raw["Workflow"][flow.name]["trigger"]
