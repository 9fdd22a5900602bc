"""Every output family, in one list, and the two calls the pipeline makes over all of them."""

from __future__ import annotations

from collections import Counter

from compiler.emit import acl, sql, stacks
from compiler.emit.artifact import Artifact, Family, Reuse
from compiler.emit.manifest import build_manifest
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec

FAMILIES: tuple[Family, ...] = (stacks.FAMILY, sql.FAMILY, acl.FAMILY)


def input_digests(spec: ResolvedSpec, graph: PlatformGraph) -> dict[str, str]:
    digests: dict[str, str] = {}
    for family in FAMILIES:
        digests.update(family.input_digests(spec, graph))
    return digests


def emit_all(
    spec: ResolvedSpec, graph: PlatformGraph, digests: dict[str, str], reuse: Reuse
) -> list[Artifact]:
    """All artifacts, sorted by path, the manifest last."""
    artifacts: list[Artifact] = []
    for family in FAMILIES:
        artifacts.extend(family.emit(spec, graph, reuse))
    counts = Counter(a.path for a in artifacts)
    duplicates = sorted(p for p, n in counts.items() if n > 1)
    if duplicates:
        raise AssertionError(f"two emitters wrote the same path: {duplicates}")
    artifacts.sort(key=lambda a: a.path)
    artifacts.append(build_manifest(spec, graph, artifacts, digests))
    return artifacts
