"""generated/manifest.json: every artifact with its digest, every node with its
dependencies and input digest, the apply waves, every managed role, and each tenant's
lifecycle facts (the baseline the next compile checks data deletion against)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compiler.emit.artifact import GENERATOR, Artifact, canonical_json
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec

MANIFEST_PATH = "manifest.json"
SCHEMA_VERSION = "paybill.dev/manifest/v1"


def build_manifest(
    spec: ResolvedSpec,
    graph: PlatformGraph,
    artifacts: Sequence[Artifact],
    digests: dict[str, str],
) -> Artifact:
    by_node: dict[str, list[str]] = {}
    for artifact in artifacts:
        by_node.setdefault(artifact.node, []).append(artifact.path)
    waves = graph.waves()
    wave_of = {node: index for index, wave in enumerate(waves) for node in wave}
    nodes: dict[str, Any] = {
        node: {
            "kind": graph.kind(node),
            "name": graph.name(node),
            "dependsOn": graph.dependencies(node),
            "wave": wave_of[node],
            "inputDigest": digests.get(node, ""),
            "artifacts": sorted(by_node.get(node, [])),
        }
        for node in graph.nodes()
    }
    data = {
        "schemaVersion": SCHEMA_VERSION,
        "generator": GENERATOR,
        "specDigest": spec.spec_digest,
        "artifacts": [
            {"path": a.path, "sha256": a.sha256, "bytes": len(a.content), "node": a.node or None}
            for a in sorted(artifacts, key=lambda a: a.path)
        ],
        "nodes": nodes,
        "waves": waves,
        "roles": [
            {
                "name": r.name,
                "kind": r.kind,
                "tenant": r.tenant,
                "agent": r.agent,
                "target": r.target,
            }
            for r in spec.roles
        ],
        "tenants": {
            t.name: {
                "state": t.state,
                "subscription": t.subscription,
                "plan": t.plan,
                "isolation": t.isolation,
                "dedicatedDatabase": t.dedicated_database and t.state != "deleted",
            }
            for t in spec.tenants
        },
    }
    return Artifact(MANIFEST_PATH, canonical_json(data), "")
