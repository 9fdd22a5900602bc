"""Output family 'acl' (being built; see FAMILY below)."""

from __future__ import annotations

from compiler.emit.artifact import Artifact, Family, Reuse
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec


def input_digests(spec: ResolvedSpec, graph: PlatformGraph) -> dict[str, str]:
    return {}


def emit(spec: ResolvedSpec, graph: PlatformGraph, reuse: Reuse) -> list[Artifact]:
    return []


FAMILY = Family("acl", input_digests, emit)
