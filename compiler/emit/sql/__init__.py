"""Output family 'sql': per target, the ordered SQL files and the desired state as JSON.

generated/sql/<target>/NN-*.sql   applied in lexical order (see render.py)
generated/sql/<target>/state.json what `paybill sql apply|drift` converges to (state.py)

A target is `pool-<pool>` (the pool's shared database, with its pooled tenants) or
`tenant-<tenant>` (the own database of a live silo or bridge tenant).
"""

from __future__ import annotations

from compiler.emit.artifact import (
    Artifact,
    Family,
    Prepared,
    Reuse,
    canonical_json,
    code_digest,
    fingerprint,
)
from compiler.emit.sql import lints
from compiler.emit.sql.build import build_targets
from compiler.emit.sql.render import render_files
from compiler.emit.sql.state import STATE_FILE, to_json
from compiler.graph import PlatformGraph, sql_node
from compiler.resolve import ResolvedSpec


def prepare(spec: ResolvedSpec, graph: PlatformGraph) -> Prepared:
    """The desired state decides every byte of a target's files (and what the lints see), so
    it is, with the code that renders and checks it, the digest."""
    states = build_targets(spec, [graph.name(node) for node in graph.nodes("sql")])
    by_node = {sql_node(target): state for target, state in states.items()}
    code = code_digest("sql")
    digests = {node: fingerprint(code, state) for node, state in by_node.items()}

    def build(reuse: Reuse) -> list[Artifact]:
        # A reused target was linted when it was built, by this same code (its digest covers
        # the code and the state); only what is built now needs the checks again.
        lints.check(spec, [state for node, state in by_node.items() if node not in reuse])
        artifacts: list[Artifact] = []
        for node, state in by_node.items():
            if node in reuse:
                artifacts.extend(reuse[node])
                continue
            folder = f"sql/{state.target}"
            files = render_files(state)
            files[STATE_FILE] = canonical_json(to_json(state))
            artifacts.extend(
                Artifact(f"{folder}/{name}", content, node)
                for name, content in sorted(files.items())
            )
        return artifacts

    return Prepared(digests, build)


FAMILY = Family("sql", prepare)
