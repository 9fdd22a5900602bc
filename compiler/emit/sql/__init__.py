"""Output family 'sql': per target, the ordered SQL files and the desired state as JSON.

generated/sql/<target>/NN-*.sql            shared by the target's tenants (node sql:<target>)
generated/sql/<target>/state.json          what they hold, for `paybill sql apply|drift`
generated/sql/<target>/tenants/<t>.sql     one tenant's roles and policies (node tenant:<t>)
generated/sql/<target>/tenants/<t>.json    the same, for `paybill sql apply|drift`

A target is `pool-<pool>` (the pool's shared database, with its pooled tenants) or
`tenant-<tenant>` (the own database of a live silo or bridge tenant). Every `.sql` file of a
target's folder, applied in lexical order of its path, builds the target (see render.py).
"""

from __future__ import annotations

from compiler.emit.artifact import (
    Artifact,
    Family,
    Output,
    Prepared,
    Reuse,
    canonical_json,
    code_digest,
    fingerprint,
)
from compiler.emit.sql import lints
from compiler.emit.sql.build import build_targets
from compiler.emit.sql.render import render_shared, render_tenant
from compiler.emit.sql.state import STATE_FILE, TargetState, tenant_file, to_json
from compiler.graph import PlatformGraph, sql_node, tenant_node
from compiler.resolve import ResolvedSpec

TENANT_STATE = ".json"


def prepare(spec: ResolvedSpec, graph: PlatformGraph) -> Prepared:
    """The desired state decides every byte of a target's files (and what the lints see), so
    it is, with the code that renders and checks it, the digest: the shared state for the
    target's node, and a tenant's part (with the shared state it is rendered against) for
    the tenant's node."""
    targets = build_targets(spec, [graph.name(node) for node in graph.nodes("sql")])
    code = code_digest("sql")
    digests: dict[str, str] = {}
    for target, (shared, parts) in targets.items():
        digests[sql_node(target)] = shared_digest = fingerprint(code, shared)
        for tenant, part in parts.items():
            digests[tenant_node(tenant)] = fingerprint(code, shared_digest, part)

    def build(reuse: Reuse) -> list[Output]:
        # What is reused was linted when it was built, by this same code (its digest covers
        # the code and the state); only what is built now needs the checks again.
        checked = []
        for target, (shared, parts) in targets.items():
            fresh = [p for t, p in parts.items() if tenant_node(t) not in reuse]
            if fresh or sql_node(target) not in reuse:
                checked.append(TargetState.of(shared, fresh))
        lints.check(spec, checked)
        out: list[Output] = []
        for target, (shared, parts) in targets.items():
            folder = f"sql/{target}"
            node = sql_node(target)
            if node in reuse:
                out.extend(reuse[node])
            else:
                files = render_shared(shared)
                files[STATE_FILE] = canonical_json(to_json(shared))
                out.extend(Artifact(f"{folder}/{n}", c, node) for n, c in sorted(files.items()))
            for tenant, part in parts.items():
                node = tenant_node(tenant)
                if node in reuse:
                    out.extend(reuse[node])
                    continue
                files = render_tenant(shared, part)
                files[tenant_file(tenant, TENANT_STATE)] = canonical_json(to_json(part))
                out.extend(Artifact(f"{folder}/{n}", c, node) for n, c in sorted(files.items()))
        return out

    return Prepared(digests, build)


FAMILY = Family("sql", prepare)
