"""Output family 'acl': static, default-deny allow-lists for every agent in every tenant.

Per live tenant (graph node `acl:<tenant>`):
    acl/<tenant>.json                          the ACL (compiler/schemas/acl-v1.schema.json)
    acl/cedar/tenants/<tenant>.entities.json   its Cedar principals
    acl/entitlements/<tenant>.json             its limits, features and dedicated sizes
                                               (compiler/schemas/entitlements-v1.schema.json)
Shared by every tenant (graph node `cedar:platform`):
    acl/cedar/schema.cedarschema, acl/cedar/policies.cedar, acl/cedar/platform.entities.json

Deleted tenants get no files. A tenant whose inputs did not change gets its previous files
back from `reuse`, so a one-tenant change rebuilds one tenant's ACL.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.emit.acl import cedar
from compiler.emit.acl.document import acl_document
from compiler.emit.acl.entitlements import entitlements_document, entitlements_path
from compiler.emit.acl.inputs import Catalog
from compiler.emit.artifact import (
    Artifact,
    Family,
    Output,
    Prepared,
    Reuse,
    code_digest,
    fingerprint,
)
from compiler.emit.jsonfile import output_json
from compiler.graph import CEDAR_NODE, PlatformGraph, acl_node
from compiler.resolve import ResolvedSpec


def acl_path(tenant: str) -> str:
    return f"acl/{tenant}.json"


def prepare(spec: ResolvedSpec, graph: PlatformGraph) -> Prepared:
    catalog = Catalog(spec)
    digests = {acl_node(t.name): catalog.digest(t) for t in spec.live_tenants}
    # The shared files depend on workflows, tables and tools only; built here, they are
    # their own digest (a few dozen KB, whatever the number of tenants).
    shared = [
        Artifact(cedar.SCHEMA_PATH, cedar.SCHEMA.encode(), CEDAR_NODE),
        Artifact(cedar.POLICIES_PATH, cedar.policies(spec).encode(), CEDAR_NODE),
        Artifact(
            cedar.PLATFORM_ENTITIES_PATH,
            output_json(cedar.platform_entities(spec)),
            CEDAR_NODE,
        ),
    ]
    digests[CEDAR_NODE] = fingerprint(code_digest("acl"), [a.sha256 for a in shared])

    def build(reuse: Reuse) -> Iterator[Output]:
        """One tenant's files at a time: a fleet's ACLs are never in memory together."""
        yield from reuse.get(CEDAR_NODE, shared)
        for tenant in spec.live_tenants:
            node = acl_node(tenant.name)
            previous = reuse.get(node)
            if previous:
                yield from previous
                continue
            inputs = catalog.inputs(tenant)
            document = output_json(acl_document(inputs))
            yield Artifact(acl_path(tenant.name), document, node)
            entities = output_json(cedar.tenant_entities(inputs))
            yield Artifact(cedar.tenant_entities_path(tenant.name), entities, node)
            granted = entitlements_document(tenant, spec.plan(tenant.plan))
            yield Artifact(entitlements_path(tenant.name), output_json(granted), node)

    return Prepared(digests, build)


FAMILY = Family("acl", prepare)
