"""Emit the 'sql' family through its API (not the whole `paybill compile`)."""

from __future__ import annotations

from pathlib import Path

from compiler.emit import Artifact
from compiler.emit.sql import FAMILY
from compiler.emit.sql.state import STATE_FILE, TargetState, from_json
from compiler.graph import build_graph
from compiler.pipeline import validate
from compiler.resolve import ResolvedSpec


def emit_sql(spec: ResolvedSpec) -> list[Artifact]:
    return FAMILY.emit(spec, build_graph(spec), {})


def write_sql(spec_dir: Path, out: Path) -> dict[str, TargetState]:
    """Resolve `spec_dir`, write its SQL artifacts under `out`, return the states by target."""
    artifacts = emit_sql(validate(spec_dir))
    states = {}
    for artifact in artifacts:
        path = out / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifact.content)
        if path.name == STATE_FILE:
            state = from_json(artifact.content)
            states[state.target] = state
    return states


def states_of(spec: ResolvedSpec) -> dict[str, TargetState]:
    return {
        s.target: s
        for s in (from_json(a.content) for a in emit_sql(spec) if a.path.endswith(STATE_FILE))
    }
