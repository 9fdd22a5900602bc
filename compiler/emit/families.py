"""Every output family, in one list, and the two calls the pipeline makes over all of them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from compiler.emit import acl, sql, stacks
from compiler.emit.artifact import Artifact, Family, Prepared, Reuse
from compiler.emit.manifest import build_manifest
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec

FAMILIES: tuple[Family, ...] = (stacks.FAMILY, sql.FAMILY, acl.FAMILY)


def prepare_all(spec: ResolvedSpec, graph: PlatformGraph) -> list[Prepared]:
    return [family.prepare(spec, graph) for family in FAMILIES]


def input_digests(prepared: Sequence[Prepared]) -> dict[str, str]:
    digests: dict[str, str] = {}
    for family in prepared:
        digests.update(family.digests)
    return digests


def emit_all(
    spec: ResolvedSpec,
    graph: PlatformGraph,
    prepared: Sequence[Prepared],
    digests: dict[str, str],
    reuse: Reuse,
) -> list[Artifact]:
    """All artifacts, sorted by path, the manifest last."""
    artifacts: list[Artifact] = []
    for family in prepared:
        artifacts.extend(family.build(reuse))
    counts = Counter(a.path for a in artifacts)
    duplicates = sorted(p for p, n in counts.items() if n > 1)
    if duplicates:
        raise AssertionError(f"two emitters wrote the same path: {duplicates}")
    artifacts.sort(key=lambda a: a.path)
    artifacts.append(build_manifest(spec, graph, artifacts, digests))
    return artifacts
