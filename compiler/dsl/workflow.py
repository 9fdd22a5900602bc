"""Workflow: the only paths an agent may take, as a DAG of query and tool steps."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from compiler.dsl.common import (
    CRON_PATTERN,
    EVENT_PATTERN,
    UNIQUE,
    UNIQUE_ITEMS,
    WHOLE,
    Document,
    Feature,
    Model,
    Name,
    NameList,
    SqlIdentifier,
)
from compiler.dsl.tool import Approval

Operation = Literal["select", "insert", "update", "delete"]
ColumnList = Annotated[list[SqlIdentifier], UNIQUE, Field(json_schema_extra=UNIQUE_ITEMS)]


def _exactly_one(*fields: str) -> dict[str, Any]:
    """JSON Schema for "exactly one of these fields is given" (an explicit null is not given)."""
    return {
        "oneOf": [{"required": [f], "properties": {f: {"not": {"type": "null"}}}} for f in fields]
    }


# What each operation needs, as JSON Schema; `Query._shape` says the same in Python.
_QUERY_SHAPE: dict[str, Any] = {
    "allOf": [
        {
            "if": {"properties": {"operation": {"enum": ["select", "insert", "update"]}}},
            "then": {"required": ["columns"], "properties": {"columns": {"minItems": 1}}},
        },
        {
            "if": {"properties": {"operation": {"enum": ["update", "delete"]}}},
            "then": {"required": ["where"], "properties": {"where": {"minItems": 1}}},
        },
        {
            "if": {"properties": {"operation": {"const": "insert"}}},
            "then": {"properties": {"where": {"maxItems": 0}}},
        },
        {
            "if": {"properties": {"operation": {"const": "delete"}}},
            "then": {"properties": {"columns": {"maxItems": 0}}},
        },
    ]
}


class Query(Model):
    model_config = ConfigDict(json_schema_extra=_QUERY_SHAPE)

    table: Name
    operation: Operation
    columns: ColumnList = Field(default_factory=list)
    where: ColumnList = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> Query:
        op = self.operation
        if op in ("select", "insert", "update") and not self.columns:
            raise ValueError(f"'{op}' needs a non-empty 'columns' list")
        if op in ("update", "delete") and not self.where:
            raise ValueError(f"'{op}' needs a non-empty 'where' list, so it cannot touch every row")
        if op == "insert" and self.where:
            raise ValueError("'insert' takes no 'where'")
        if op == "delete" and self.columns:
            raise ValueError("'delete' removes whole rows and takes no 'columns'")
        return self


class Step(Model):
    model_config = ConfigDict(json_schema_extra=_exactly_one("query", "tool"))

    id: Name
    after: NameList = Field(default_factory=list)
    query: Query | None = None
    tool: Name | None = None
    allow_pii: bool = False
    # Unset means: human for `delete` and for destructive tools, none otherwise.
    approval: Approval | None = None

    @model_validator(mode="after")
    def _query_or_tool(self) -> Step:
        if (self.query is None) == (self.tool is None):
            raise ValueError("a step has exactly one of 'query' or 'tool'")
        return self


class Trigger(Model):
    model_config = ConfigDict(json_schema_extra=_exactly_one("schedule", "event"))

    schedule: Annotated[str, Field(pattern=CRON_PATTERN)] | None = None
    event: Annotated[str, Field(pattern=EVENT_PATTERN, max_length=128)] | None = None

    @model_validator(mode="after")
    def _schedule_or_event(self) -> Trigger:
        if (self.schedule is None) == (self.event is None):
            raise ValueError("a trigger has exactly one of 'schedule' or 'event'")
        return self


class WorkflowLimits(Model):
    max_steps: Annotated[int, Field(ge=1, le=100, description="Steps: 1 to 100."), WHOLE]
    timeout_seconds: Annotated[
        int, Field(ge=1, le=86400, description="Seconds: 1 to 86,400, one day."), WHOLE
    ]
    max_rows_per_step: Annotated[
        int,
        Field(ge=1, le=1_000_000, description="Rows one step may touch: 1 to 1,000,000."),
        WHOLE,
    ]


class WorkflowSpec(Model):
    description: Annotated[str, Field(max_length=500)] = ""
    requires_feature: Feature | None = None
    trigger: Trigger
    limits: WorkflowLimits
    steps: Annotated[list[Step], Field(min_length=1)]


class Workflow(Document):
    kind: Literal["Workflow"]
    spec: WorkflowSpec
