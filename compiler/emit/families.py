"""Every output family, in one list, and the calls the pipeline makes over all of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from compiler.emit import acl, records, sql, stacks
from compiler.emit.artifact import Family, Output, Prepared, Reuse, fingerprint
from compiler.emit.records import build_records
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec

FAMILIES: tuple[Family, ...] = (stacks.FAMILY, sql.FAMILY, acl.FAMILY, records.FAMILY)


def prepare_all(spec: ResolvedSpec, graph: PlatformGraph) -> list[Prepared]:
    return [family.prepare(spec, graph) for family in FAMILIES]


def input_digests(prepared: Sequence[Prepared]) -> dict[str, str]:
    """One digest per node: a family's own, or, where several families contribute to a node
    (a tenant's SQL and its lifecycle facts), the digest of theirs."""
    parts: dict[str, list[str]] = defaultdict(list)
    for family in prepared:
        for node, digest in family.digests.items():
            parts[node].append(digest)
    return {
        node: found[0] if len(found) == 1 else fingerprint(found) for node, found in parts.items()
    }


def emit_all(
    spec: ResolvedSpec,
    graph: PlatformGraph,
    prepared: Sequence[Prepared],
    digests: dict[str, str],
    reuse: Reuse,
    keep: Callable[[Output], Output] = lambda output: output,
) -> list[Output]:
    """All artifacts sorted by path, then every node's record and the manifest. Each is
    handed to `keep` as soon as it is built, and what `keep` returns is kept: the writer
    stages the file and returns its digest alone, so the bytes of a whole fleet's output
    are never in memory at once (a family that yields its files keeps only one of them)."""
    missing = sorted(set(graph.nodes()) - digests.keys())
    if missing:
        raise AssertionError(f"graph nodes without an input digest: {missing}")
    outputs: list[Output] = []
    paths: set[str] = set()
    duplicates = set()
    for family in prepared:
        for output in family.build(reuse):
            if output.path in paths:
                duplicates.add(output.path)
            paths.add(output.path)
            outputs.append(keep(output))
    if duplicates:
        raise AssertionError(f"two emitters wrote the same path: {sorted(duplicates)}")
    outputs.sort(key=lambda o: o.path)
    records = build_records(spec, graph, outputs, digests)  # reads `outputs` now
    outputs.extend(keep(r) for r in records)
    return outputs
