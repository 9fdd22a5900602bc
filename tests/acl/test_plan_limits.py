"""A workflow over its tenants' plan limits is a compile error at the step that crosses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.errors import SpecError
from compiler.pipeline import validate
from tests.acl.specs import AGENTS, PLANS, fixture_spec, tenant
from tests.conftest import WriteSpec

BASIC_LIMITS = "agentRunsPerDay: 100}"


def with_caps(caps: str) -> str:
    """PLANS with extra limits on plan 'basic'."""
    return PLANS.replace(BASIC_LIMITS, f"agentRunsPerDay: 100, {caps}}}")


def errors(write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch, **files: str) -> str:
    root = write_spec(fixture_spec(**files))
    monkeypatch.chdir(root.parent)
    with pytest.raises(SpecError) as caught:
        validate(Path("spec"))
    return caught.value.render()


def is_valid(write_spec: WriteSpec, **files: str) -> None:
    validate(write_spec(fixture_spec(**files)))


def test_too_many_steps_points_at_the_first_step_over_the_cap(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = errors(write_spec, monkeypatch, plans=with_caps("agentStepsPerWorkflow: 2"))
    assert text == (
        "spec/workflows.yaml:15:7: Workflow/report spec.steps[2]: step 'mark' is step 3 of 3, "
        "but tenant 'acme' (plan 'basic') allows at most 2 steps per workflow "
        "(limits.agentStepsPerWorkflow) (shorten the workflow, or raise the plan's limit or "
        "the tenant's override)\n"
        "1 error found"
    )


def test_too_many_rows_per_step_points_at_the_first_query_step(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = errors(write_spec, monkeypatch, plans=with_caps("agentRowsPerStep: 50"))
    assert text == (
        "spec/workflows.yaml:9:7: Workflow/report spec.steps[0]: step 'read' may touch 100 rows "
        "(limits.maxRowsPerStep), but tenant 'acme' (plan 'basic') allows at most 50 rows per "
        "step (limits.agentRowsPerStep) (lower the workflow's limits.maxRowsPerStep to 50 or "
        "less, or raise the plan's limit or the tenant's override)\n"
        "1 error found"
    )


def test_every_tenant_that_still_exists_counts_and_one_message_names_them(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants = "---\n".join(
        [
            tenant("delta"),
            tenant("alpha"),
            tenant("gamma", state="suspended"),
            tenant("beta", state="offboarding"),
            tenant("eps", state="pending"),
            tenant("gone", state="deleted"),
        ]
    )
    text = errors(
        write_spec, monkeypatch, plans=with_caps("agentStepsPerWorkflow: 2"), tenants=tenants
    )
    assert text == (
        "spec/workflows.yaml:15:7: Workflow/report spec.steps[2]: step 'mark' is step 3 of 3, "
        "but tenants 'alpha', 'beta', 'delta' and 2 more (plan 'basic') allow at most 2 steps "
        "per workflow (limits.agentStepsPerWorkflow) (shorten the workflow, or raise the "
        "plan's limit or the tenant's override)\n"
        "1 error found"
    )


def test_both_caps_of_several_plans_are_reported_together(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = with_caps("agentStepsPerWorkflow: 1").replace(
        "agentRunsPerDay: null}", "agentRunsPerDay: null, agentRowsPerStep: 5}"
    )
    tenants = "---\n".join([tenant("acme"), tenant("bigco", plan="plus")])
    text = errors(write_spec, monkeypatch, plans=plans, tenants=tenants)
    assert text == (
        "spec/workflows.yaml:9:7: Workflow/report spec.steps[0]: step 'read' may touch 100 rows "
        "(limits.maxRowsPerStep), but tenant 'bigco' (plan 'plus') allows at most 5 rows per "
        "step (limits.agentRowsPerStep) (lower the workflow's limits.maxRowsPerStep to 5 or "
        "less, or raise the plan's limit or the tenant's override)\n"
        "spec/workflows.yaml:12:7: Workflow/report spec.steps[1]: step 'mail' is step 2 of 3, "
        "but tenant 'acme' (plan 'basic') allows at most 1 step per workflow "
        "(limits.agentStepsPerWorkflow) (shorten the workflow, or raise the plan's limit or "
        "the tenant's override)\n"
        "spec/workflows.yaml:27:7: Workflow/purge spec.steps[0]: step 'find' may touch 10 rows "
        "(limits.maxRowsPerStep), but tenant 'bigco' (plan 'plus') allows at most 5 rows per "
        "step (limits.agentRowsPerStep) (lower the workflow's limits.maxRowsPerStep to 5 or "
        "less, or raise the plan's limit or the tenant's override)\n"
        "3 errors found"
    )


def test_a_tenant_override_lifts_or_tightens_the_plans_cap(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    lifted = tenant("acme", extra="  overrides: {limits: {agentStepsPerWorkflow: null}}\n")
    is_valid(write_spec, plans=with_caps("agentStepsPerWorkflow: 2"), tenants=lifted)

    tightened = tenant("acme", extra="  overrides: {limits: {agentRowsPerStep: 99}}\n")
    text = errors(write_spec, monkeypatch, tenants=tightened)
    assert text.splitlines()[0] == (
        "spec/workflows.yaml:9:7: Workflow/report spec.steps[0]: step 'read' may touch 100 rows "
        "(limits.maxRowsPerStep), but tenant 'acme' (plan 'basic') allows at most 99 rows per "
        "step (limits.agentRowsPerStep) (lower the workflow's limits.maxRowsPerStep to 99 or "
        "less, or raise the plan's limit or the tenant's override)"
    )


@pytest.mark.parametrize(
    ("why", "files"),
    [
        ("deleted tenants run nothing", {"tenants": tenant("acme", state="deleted")}),
        (
            "workflow 'purge' needs feature 'cleanup', which plan 'basic' lacks",
            {"plans": with_caps("agentRowsPerStep: 100, agentStepsPerWorkflow: 3")},
        ),
        (
            "no agent runs workflow 'report'",
            {
                "plans": with_caps("agentStepsPerWorkflow: 1"),
                "agents": AGENTS.replace("workflows: [report, purge]", "workflows: [purge]"),
            },
        ),
        ("caps equal to the workflow's are fine", {"plans": with_caps("agentRowsPerStep: 100")}),
    ],
)
def test_workflows_that_cannot_run_over_a_cap_are_not_errors(
    write_spec: WriteSpec, why: str, files: dict[str, str]
) -> None:
    is_valid(write_spec, **files)
