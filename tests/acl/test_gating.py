"""Each gating rule with a fixture spec: features, tenant state, run limits, approvals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler.acl import AclSet, authorize
from compiler.errors import SpecError
from compiler.pipeline import validate
from tests.acl.compiled import acl_artifacts, compile_acl
from tests.acl.specs import PLANS, TOOLS, WORKFLOWS, fixture_spec, tenant
from tests.conftest import WriteSpec


def documents(spec_dir: Path) -> dict[str, Any]:
    """path -> decoded JSON of every JSON artifact of the acl family."""
    return {
        a.path: json.loads(a.content) for a in acl_artifacts(spec_dir) if a.path.endswith(".json")
    }


def acl_of(spec_dir: Path, name: str) -> dict[str, Any]:
    acl: dict[str, Any] = documents(spec_dir)[f"acl/{name}.json"]
    return acl


def steps_of(acl: dict[str, Any], agent: str, workflow: str) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in acl["agents"][agent]["workflows"][workflow]["steps"]}


def test_a_workflow_whose_feature_the_plan_lacks_is_denied_with_the_reason(
    write_spec: WriteSpec,
) -> None:
    acl = acl_of(write_spec(fixture_spec()), "acme")
    assert sorted(acl["agents"]["helper"]["workflows"]) == ["report"]
    assert acl["denied"] == [
        {
            "agent": "helper",
            "workflow": "purge",
            "reason": "plan 'basic' does not grant feature 'cleanup'",
        }
    ]


def test_a_feature_added_by_a_tenant_override_allows_its_workflow(write_spec: WriteSpec) -> None:
    extra = "  overrides: {features: [cleanup]}\n"
    acl = acl_of(write_spec(fixture_spec(tenants=tenant("acme", extra=extra))), "acme")
    assert sorted(acl["agents"]["helper"]["workflows"]) == ["purge", "report"]
    assert acl["denied"] == []


@pytest.mark.parametrize("state", ["pending", "suspended", "offboarding"])
def test_tenants_that_are_not_active_allow_nothing_and_say_why(
    write_spec: WriteSpec, tmp_path: Path, state: str
) -> None:
    spec_dir = write_spec(fixture_spec(tenants=tenant("acme", plan="plus", state=state)))
    docs = documents(spec_dir)
    acl = docs["acl/acme.json"]
    assert (acl["state"], acl["agents"], acl["default"]) == (state, {}, "deny")
    reason = f"tenant is {state}; agents act only in active tenants"
    assert acl["denied"] == [{"agent": "helper", "reason": reason}]
    principal = next(
        e for e in docs["acl/cedar/tenants/acme.entities.json"] if e["uid"]["id"] == "acme/helper"
    )
    assert principal["parents"] == [{"type": "Paybill::Tenant", "id": "acme"}]

    acls = AclSet(compile_acl(spec_dir, tmp_path / "out") / "acl")
    decision = authorize(acls.tenant("acme"), "helper", "report", "read")
    assert not decision.allowed
    assert decision.reason == f"agent 'helper' may not act in tenant 'acme': {reason}"


def test_deleted_tenants_get_no_files_and_are_denied(write_spec: WriteSpec, tmp_path: Path) -> None:
    tenants = "---\n".join([tenant("acme"), tenant("gone", state="deleted")])
    spec_dir = write_spec(fixture_spec(tenants=tenants))
    paths = {a.path for a in acl_artifacts(spec_dir)}
    assert "acl/acme.json" in paths
    assert not any("gone" in p for p in paths)

    folder = compile_acl(spec_dir, tmp_path / "out") / "acl"
    decision = authorize(AclSet(folder).tenant("gone"), "helper", "report", "read")
    assert not decision.allowed
    assert decision.reason == (
        f"tenant 'gone' has no ACL in {folder.as_posix()}: deleted and unknown tenants allow "
        "nothing"
    )


def test_a_plan_with_zero_agent_runs_leaves_the_agent_out(write_spec: WriteSpec) -> None:
    plans = PLANS.replace("agentRunsPerDay: 100}", "agentRunsPerDay: 0}")
    acl = acl_of(write_spec(fixture_spec(plans=plans)), "acme")
    assert acl["agents"] == {}
    assert acl["denied"] == [
        {"agent": "helper", "reason": "plan 'basic' allows 0 agent runs per day for this tenant"}
    ]


@pytest.mark.parametrize(
    ("plan", "extra", "runs"),
    [
        ("basic", "", 50),  # agent 50, plan 100
        ("plus", "", 50),  # agent 50, plan unlimited
        ("basic", "  overrides: {limits: {agentRunsPerDay: 20}}\n", 20),  # tenant override
        ("plus", "  overrides: {limits: {agentRunsPerDay: 30}}\n", 30),
    ],
)
def test_runs_per_day_is_the_least_of_agent_and_tenant_limit(
    write_spec: WriteSpec, plan: str, extra: str, runs: int
) -> None:
    acl = acl_of(write_spec(fixture_spec(tenants=tenant("acme", plan, extra=extra))), "acme")
    assert acl["agents"]["helper"]["limits"] == {"runsPerDay": runs, "concurrentRuns": 2}


def test_workflow_limits_and_row_caps_come_from_the_workflow(write_spec: WriteSpec) -> None:
    acl = acl_of(write_spec(fixture_spec(tenants=tenant("acme", "plus"))), "acme")
    purge = acl["agents"]["helper"]["workflows"]["purge"]
    assert purge["limits"] == {"maxSteps": 3, "timeoutSeconds": 30, "maxRowsPerStep": 10}
    assert purge["trigger"] == {"event": "account.stale"}
    assert [s["id"] for s in purge["steps"]] == ["find", "wipe", "drop"]
    assert {s["id"]: s.get("query", {}).get("maxRows") for s in purge["steps"]} == {
        "find": 10,
        "wipe": None,
        "drop": 10,
    }


def test_destructive_tools_and_deletes_default_to_human_approval(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    spec_dir = write_spec(fixture_spec(tenants=tenant("acme", "plus")))
    acl = acl_of(spec_dir, "acme")
    approvals = {
        (flow, step["id"]): step["approval"]
        for flow, body in acl["agents"]["helper"]["workflows"].items()
        for step in body["steps"]
    }
    assert approvals == {
        ("purge", "find"): "none",
        ("purge", "wipe"): "human",  # destructive tool, nothing written
        ("purge", "drop"): "human",  # delete, nothing written
        ("report", "read"): "none",
        ("report", "mail"): "none",
        ("report", "mark"): "none",
    }
    acls = AclSet(compile_acl(spec_dir, tmp_path / "out") / "acl")
    waiting = authorize(acls.tenant("acme"), "helper", "purge", "drop")
    assert (waiting.allowed, waiting.needs_approval) == (False, True)
    assert waiting.reason == (
        "agent 'helper' in tenant 'acme', workflow 'purge', step 'drop': the step needs human "
        "approval first"
    )
    approved = authorize(acls.tenant("acme"), "helper", "purge", "drop", approved=True)
    assert approved.allowed
    assert approved.reason == (
        "agent 'helper' may run step 'drop' of workflow 'purge' in tenant 'acme': delete from "
        "app.accounts where id, at most 10 rows; needs human approval"
    )


def test_an_approval_written_on_a_delete_step_is_kept(write_spec: WriteSpec) -> None:
    workflows = WORKFLOWS.replace(
        "query: {table: accounts, operation: delete, where: [id]}",
        "query: {table: accounts, operation: delete, where: [id]}\n      approval: none",
    )
    spec_dir = write_spec(fixture_spec(workflows=workflows, tenants=tenant("acme", "plus")))
    assert steps_of(acl_of(spec_dir, "acme"), "helper", "purge")["drop"]["approval"] == "none"


def test_a_tool_that_asks_for_approval_makes_its_steps_wait(write_spec: WriteSpec) -> None:
    tools = TOOLS.replace("effect: external}", "effect: external, approval: human}")
    spec_dir = write_spec(fixture_spec(tools=tools))
    step = steps_of(acl_of(spec_dir, "acme"), "helper", "report")["mail"]
    assert step == {
        "id": "mail",
        "after": ["read"],
        "approval": "human",
        "tool": {"name": "mailer", "effect": "external"},
    }


def test_a_step_cannot_waive_a_destructive_tools_approval(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    workflows = WORKFLOWS.replace("tool: wiper", "tool: wiper\n      approval: none")
    write_spec(fixture_spec(workflows=workflows))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as caught:
        validate(Path("spec"))
    assert caught.value.render() == (
        "spec/workflows.yaml:32:17: Workflow/purge spec.steps[1].approval: tool 'wiper' "
        "requires human approval; a step cannot waive it (remove 'approval: none', or change "
        "the Tool's approval if that is intended)\n"
        "1 error found"
    )
