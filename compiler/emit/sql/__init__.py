"""Output family 'sql': per target, the ordered SQL files and the desired state as JSON.

generated/sql/<target>/NN-*.sql   applied in lexical order (see render.py)
generated/sql/<target>/state.json what `paybill sql apply|drift` converges to (state.py)

A target is `pool-<pool>` (the pool's shared database, with its pooled tenants) or
`tenant-<tenant>` (the own database of a live silo or bridge tenant).
"""

from __future__ import annotations

from compiler.emit.artifact import Artifact, Family, Reuse, canonical_json, fingerprint
from compiler.emit.sql import lints
from compiler.emit.sql.build import build_target
from compiler.emit.sql.render import render_files
from compiler.emit.sql.state import STATE_FILE, TargetState, to_json
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec


def _states(spec: ResolvedSpec, graph: PlatformGraph) -> dict[str, TargetState]:
    return {node: build_target(spec, graph.name(node)) for node in graph.nodes("sql")}


def input_digests(spec: ResolvedSpec, graph: PlatformGraph) -> dict[str, str]:
    """The desired state decides every byte of a target's files, so it is the digest."""
    return {node: fingerprint(state) for node, state in _states(spec, graph).items()}


def emit(spec: ResolvedSpec, graph: PlatformGraph, reuse: Reuse) -> list[Artifact]:
    states = _states(spec, graph)
    lints.check(spec, list(states.values()))
    artifacts: list[Artifact] = []
    for node, state in states.items():
        if node in reuse:
            artifacts.extend(reuse[node])
            continue
        folder = f"sql/{state.target}"
        files = render_files(state)
        files[STATE_FILE] = canonical_json(to_json(state))
        artifacts.extend(
            Artifact(f"{folder}/{name}", content, node) for name, content in sorted(files.items())
        )
    return artifacts


FAMILY = Family("sql", input_digests, emit)
