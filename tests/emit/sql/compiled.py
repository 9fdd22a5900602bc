"""Emit the 'sql' family through its API (not the whole `paybill compile`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from compiler.emit import Artifact
from compiler.emit.sql import FAMILY
from compiler.emit.sql.policies import with_policies
from compiler.emit.sql.runtime import (
    RUNTIME_FOLDER,
    TargetPart,
    assemble,
    runtime_from_json,
    target_from_json,
)
from compiler.emit.sql.state import (
    STATE_FILE,
    TENANTS_FOLDER,
    TargetState,
    TenantPart,
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
    """Every target's whole state, put together from the shared runtime, the target's
    `state.json` and its tenant parts."""
    runtime = None
    own: dict[str, TargetPart] = {}
    parts: dict[str, list[TenantPart]] = {}
    for artifact in artifacts:
        folder = artifact.path.split("/")
        if folder[-1] == STATE_FILE and folder[-2] == RUNTIME_FOLDER:
            runtime = runtime_from_json(artifact.content)
        elif folder[-1] == STATE_FILE:
            part = target_from_json(artifact.content)
            own[part.target] = part
        elif folder[-2] == TENANTS_FOLDER and artifact.path.endswith(".json"):
            tenant = tenant_from_json(artifact.content)
            parts.setdefault(tenant.target, []).append(tenant)
    assert runtime is not None or not own
    out = {}
    for target, part in own.items():
        assert runtime is not None
        shared = assemble(runtime, part)
        tenants = [with_policies(p, shared) for p in parts.get(target, [])]
        out[target] = TargetState.of(shared, tenants)
    return out


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
