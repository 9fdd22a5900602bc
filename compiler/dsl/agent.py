"""Agent: an AI worker that may only follow the workflows assigned to it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from compiler.dsl.common import UNIQUE, UNIQUE_ITEMS, WHOLE, Document, Model, Name, Text


class AgentLimits(Model):
    runs_per_day: Annotated[
        int, Field(ge=1, le=1_000_000, description="Runs per day: 1 to 1,000,000."), WHOLE
    ]
    concurrent_runs: Annotated[
        int, Field(ge=1, le=1000, description="Runs at the same time: 1 to 1,000."), WHOLE
    ]


class AgentSpec(Model):
    description: Text
    workflows: Annotated[list[Name], UNIQUE, Field(min_length=1, json_schema_extra=UNIQUE_ITEMS)]
    limits: AgentLimits


class Agent(Document):
    kind: Literal["Agent"]
    spec: AgentSpec
