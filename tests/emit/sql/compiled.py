"""Emit the 'sql' family through its API (not the whole `paybill compile`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from compiler.emit import Artifact
from compiler.emit.sql import FAMILY
from compiler.emit.sql.state import (
    STATE_FILE,
    TENANTS_FOLDER,
    TargetState,
    TenantPart,
    shared_from_json,
    tenant_from_json,
)
from compiler.graph import build_graph
from compiler.pipeline import validate
from compiler.resolve import ResolvedSpec


def emit_sql(spec: ResolvedSpec) -> list[Artifact]:
    outputs = FAMILY.emit(spec, build_graph(spec), {})
    assert all(isinstance(o, Artifact) for o in outputs)
    return [o for o in outputs if isinstance(o, Artifact)]


def states_from(artifacts: Iterable[Artifact]) -> dict[str, TargetState]:
    """Every target's whole state, put together from its `state.json` and tenant parts."""
    shared = {}
    parts: dict[str, list[TenantPart]] = {}
    for artifact in artifacts:
        folder = artifact.path.split("/")
        if folder[-1] == STATE_FILE:
            state = shared_from_json(artifact.content)
            shared[state.target] = state
        elif folder[-2] == TENANTS_FOLDER and artifact.path.endswith(".json"):
            part = tenant_from_json(artifact.content)
            parts.setdefault(part.target, []).append(part)
    return {t: TargetState.of(s, parts.get(t, [])) for t, s in shared.items()}


def write_sql(spec_dir: Path, out: Path) -> dict[str, TargetState]:
    """Resolve `spec_dir`, write its SQL artifacts under `out` (replacing what an earlier call
    wrote, as a compile would), return the states by target."""
    artifacts = emit_sql(validate(spec_dir))
    shutil.rmtree(out / "sql", ignore_errors=True)
    for artifact in artifacts:
        path = out / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifact.content)
    return states_from(artifacts)


def states_of(spec: ResolvedSpec) -> dict[str, TargetState]:
    return states_from(emit_sql(spec))
