"""Compiling a spec's stacks alone (load -> resolve -> graph -> stacks emit), in memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compiler.emit import Artifact
from compiler.emit.stacks import FAMILY, STACK_FILE
from compiler.graph import build_graph
from compiler.pipeline import validate


def family_artifacts(spec_dir: Path) -> list[Artifact]:
    """Everything the stacks family writes: `cdk.tf.json` and `.terraform.lock.hcl` of each."""
    spec = validate(spec_dir)
    return FAMILY.emit(spec, build_graph(spec), {})


def stack_artifacts(spec_dir: Path) -> list[Artifact]:
    """The `cdk.tf.json` of each stack."""
    return [a for a in family_artifacts(spec_dir) if a.path.endswith(f"/{STACK_FILE}")]


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
