"""The pydantic models themselves: what they accept, what they make of it, their defaults."""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from compiler.dsl import Plan, Platform, Table, Tool
from tests.fixtures.specs import errors, expect, valid

PLAN: dict[str, Any] = {
    "apiVersion": "paybill.dev/v1",
    "kind": "Plan",
    "metadata": {"name": "sized"},
    "spec": {
        "displayName": "Sized",
        "isolation": "bridge",
        "limits": {
            "seats": 5.0,
            "storageGb": None,
            "apiRequestsPerSecond": 1,
            "agentRunsPerDay": 0,
        },
        "resources": {
            "database": {"instanceClass": "db.t4g.small", "storageGb": 20.0},
            "compute": {"cpu": 1024.0, "memoryMb": 2048, "minTasks": 0, "maxTasks": 1},
        },
    },
}


def test_whole_floats_are_integers() -> None:
    """5.0 is the integer 5 (as in JSON Schema), and the model holds a real int."""
    plan = Plan.model_validate(PLAN)
    assert plan.spec.limits.seats == 5
    assert type(plan.spec.limits.seats) is int
    assert plan.spec.resources is not None
    assert plan.spec.resources.compute is not None
    assert type(plan.spec.resources.compute.cpu) is int
    assert plan.spec.resources.database is not None
    assert type(plan.spec.resources.database.storage_gb) is int


@pytest.mark.parametrize("value", [5.5, float("inf"), float("nan"), "5", True])
def test_other_numbers_are_not_integers(value: object) -> None:
    data = {**PLAN, "spec": {**PLAN["spec"], "limits": {**PLAN["spec"]["limits"], "seats": value}}}
    with pytest.raises(ValidationError) as caught:
        Plan.model_validate(data)
    assert [e["loc"] for e in caught.value.errors()] == [("spec", "limits", "seats")]


def test_defaults() -> None:
    """What an omitted field means, as the resolve stage relies on it."""
    tool = Tool.model_validate(
        {
            "apiVersion": "paybill.dev/v1",
            "kind": "Tool",
            "metadata": {"name": "t1"},
            "spec": {"description": "d", "effect": "destructive"},
        }
    )
    assert tool.spec.approval is None  # resolved to "human" later, for destructive tools
    assert tool.metadata.labels == {}
    table = Table.model_validate(
        {
            "apiVersion": "paybill.dev/v1",
            "kind": "Table",
            "metadata": {"name": "t2"},
            "spec": {"columns": [{"name": "id", "type": "uuid"}]},
        }
    )
    assert (table.spec.db_schema, table.spec.tenant_scoped) == ("app", True)
    column = table.spec.columns[0]
    assert (column.primary_key, column.nullable, column.pii) == (False, False, False)
    platform = Platform.model_validate(
        {
            "apiVersion": "paybill.dev/v1",
            "kind": "Platform",
            "metadata": {"name": "p1"},
            "spec": {"cloud": "aws", "regions": ["eu-west-1"], "database": {"name": "app"}},
        }
    )
    assert platform.spec.state_backend.type == "local"
    assert platform.spec.state_backend.path == "terraform.tfstate"
    assert platform.spec.database.tenant_column == "tenant_id"
    assert platform.spec.pools == []


def test_models_are_frozen() -> None:
    plan = Plan.model_validate(PLAN)
    with pytest.raises(ValidationError, match="frozen"):
        plan.spec.display_name = "Changed"  # type: ignore[misc]


def test_python_names_are_not_spec_keys(workdir: Path) -> None:
    """Keys are camelCase as in the DSL; the model's snake_case names are unknown keys."""
    assert errors(
        workdir,
        files={
            "tools.yaml": """
            apiVersion: paybill.dev/v1
            kind: Tool
            metadata: {name: email-send}
            spec: {description: Send, effect: external}
            ---
            apiVersion: paybill.dev/v1
            kind: Tool
            metadata: {name: refund-issue}
            spec: {description: Refund, effect: destructive, approval: human, allow_pii: true}
            """,
            "more-plans.yaml": """
            apiVersion: paybill.dev/v1
            kind: Plan
            metadata: {name: snake}
            spec:
              display_name: Snake
              isolation: pooled
              limits: {seats: 1, storage_gb: 1, apiRequestsPerSecond: 1, agentRunsPerDay: 1}
            """,
        },
    ) == expect(
        "spec/more-plans.yaml:5:3: Plan/snake spec.display_name: unknown field 'display_name' (did you mean 'displayName'?)",
        "spec/more-plans.yaml:7:22: Plan/snake spec.limits.storage_gb: unknown field 'storage_gb' (did you mean 'storageGb'?)",
        "spec/tools.yaml:9:67: Tool/refund-issue spec.allow_pii: unknown field 'allow_pii'",
    )


def test_base_spec_is_valid(workdir: Path) -> None:
    """The base every case starts from is itself valid, so each case shows only its own errors."""
    spec = valid(workdir)
    assert [t.name for t in spec.tenants] == [
        "alpha",
        "beta",
        "delta",
        "eta",
        "gamma",
        "omega",
        "zeta",
    ]
    assert [p.name for p in spec.plans] == ["basic", "enterprise", "pro", "trial"]
