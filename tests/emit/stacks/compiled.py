"""Compiling a spec's stacks alone (load -> resolve -> graph -> stacks emit), in memory."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from compiler.emit import Artifact
from compiler.emit.stacks import FAMILY, MODULE_FILE, STACK_FILE, TEMPLATE_FILE
from compiler.graph import build_graph
from compiler.pipeline import validate
from tests.emit.stacks.effective import effective


def family_artifacts(spec_dir: Path) -> list[Artifact]:
    """Everything the stacks family writes: each stack's root, each shape's module,
    template and lock file, by path (the family hands them to the writer one at a time, in
    the order it builds them)."""
    spec = validate(spec_dir)
    built = FAMILY.emit(spec, build_graph(spec), {})
    return sorted(built, key=lambda a: a.path)  # type: ignore[return-value]


def roots(artifacts: Iterable[Artifact]) -> dict[str, dict[str, Any]]:
    """{stack name: parsed root stack}."""
    return {
        a.path.split("/")[1]: json.loads(a.content)
        for a in artifacts
        if a.path.startswith("stacks/") and a.path.endswith(f"/{STACK_FILE}")
    }


def modules(artifacts: Iterable[Artifact]) -> dict[str, dict[str, Any]]:
    """{shape: parsed module}."""
    return {
        a.path.split("/")[1]: json.loads(a.content)
        for a in artifacts
        if a.path.startswith("modules/") and a.path.endswith(f"/{MODULE_FILE}")
    }


def templates(artifacts: Iterable[Artifact]) -> dict[str, bytes]:
    return {
        a.path.split("/")[1]: a.content for a in artifacts if a.path.endswith(f"/{TEMPLATE_FILE}")
    }


def effective_artifacts(artifacts: list[Artifact]) -> list[Artifact]:
    """Each stack as one configuration (`tests.emit.stacks.effective`), as an artifact at
    the stack's path: what the behaviour tests read, as they read stacks before modules."""
    found = modules(artifacts)
    return [
        Artifact(
            f"stacks/{stack}/{STACK_FILE}",
            json.dumps(effective(root, found), indent=2, sort_keys=True).encode(),
            f"stack:{stack}",
        )
        for stack, root in sorted(roots(artifacts).items())
    ]


def stack_artifacts(spec_dir: Path) -> list[Artifact]:
    """Each stack of a spec as one configuration."""
    return effective_artifacts(family_artifacts(spec_dir))


def stacks_of(spec_dir: Path) -> dict[str, dict[str, Any]]:
    """{stack name: the stack as one configuration}."""
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


def cloud_stacks(artifacts: Iterable[Artifact], provider: str) -> dict[str, dict[str, Any]]:
    """{stack name: stack} of the stacks (as one configuration) of one provider."""
    stacks = {a.path.split("/")[1]: json.loads(a.content) for a in artifacts}
    return {name: stack for name, stack in stacks.items() if provider in stack["provider"]}


def cloud_modules(artifacts: Iterable[Artifact], cloud: str) -> dict[str, bytes]:
    """{shape: module as written} of one cloud's modules."""
    return {
        a.path.split("/")[1]: a.content
        for a in artifacts
        if a.path.startswith(f"modules/{cloud}-") and a.path.endswith(f"/{MODULE_FILE}")
    }
