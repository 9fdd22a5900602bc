"""Tool: something outside the database that an agent may call."""

from __future__ import annotations

from typing import Literal

from compiler.dsl.common import Document, Model, Text

Effect = Literal["read", "write", "destructive", "external"]
Approval = Literal["none", "human"]


class ToolSpec(Model):
    description: Text
    effect: Effect
    # Unset means: human for destructive tools, none otherwise (resolved, never guessed later).
    approval: Approval | None = None


class Tool(Document):
    kind: Literal["Tool"]
    spec: ToolSpec
