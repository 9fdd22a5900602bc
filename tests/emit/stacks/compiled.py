"""Compiling a spec's stacks alone (load -> resolve -> graph -> stacks emit), in memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compiler.emit import Artifact
from compiler.emit.stacks import FAMILY
from compiler.graph import build_graph
from compiler.pipeline import validate


def stack_artifacts(spec_dir: Path) -> list[Artifact]:
    spec = validate(spec_dir)
    return FAMILY.emit(spec, build_graph(spec), {})


def stacks_of(spec_dir: Path) -> dict[str, dict[str, Any]]:
    """{stack name: parsed cdk.tf.json}."""
    return {a.path.split("/")[1]: json.loads(a.content) for a in stack_artifacts(spec_dir)}


def resources(stack: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return dict(stack.get("resource", {}).get(type_, {}))


def all_resources(stack: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource in the stack."""
    return [
        (type_, name, body)
        for type_, items in sorted(stack.get("resource", {}).items())
        for name, body in sorted(items.items())
    ]
