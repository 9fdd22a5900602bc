"""Agent: an AI worker that may only follow the workflows assigned to it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from compiler.dsl.common import UNIQUE, UNIQUE_ITEMS, Document, Model, Name, Positive, Text


class AgentLimits(Model):
    runs_per_day: Positive
    concurrent_runs: Positive


class AgentSpec(Model):
    description: Text
    workflows: Annotated[list[Name], UNIQUE, Field(min_length=1, json_schema_extra=UNIQUE_ITEMS)]
    limits: AgentLimits


class Agent(Document):
    kind: Literal["Agent"]
    spec: AgentSpec
