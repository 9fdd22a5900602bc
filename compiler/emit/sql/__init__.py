"""Output family 'sql': the SQL runtime every target shares, and per target the ordered SQL
files and the desired state as JSON.

generated/sql/shared/NN-*.sql              the runtime every target shares (node runtime:sql)
generated/sql/shared/state.json            what it holds, for `paybill sql apply|drift`
generated/sql/<target>/NN-*.sql            what names the target's roles (node sql:<target>)
generated/sql/<target>/state.json          those names
generated/sql/<target>/tenants/<t>.sql     one tenant's roles and policies (node tenant:<t>)
generated/sql/<target>/tenants/<t>.json    the same, for `paybill sql apply|drift`

A target is `pool-<pool>` (the pool's shared database, with its pooled tenants) or
`tenant-<tenant>` (the own database of a live silo or bridge tenant). The `.sql` files of
`shared/` and of the target's folder, applied together in lexical order of their path
relative to their own folder, build the target (see render.py).
"""

from __future__ import annotations

from collections.abc import Iterator

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
from compiler.emit.sql import lints
from compiler.emit.sql.build import Target, build_targets
from compiler.emit.sql.render import render_runtime, render_target, render_tenant
from compiler.emit.sql.render_runs import Defined
from compiler.emit.sql.runtime import RUNTIME_FOLDER, RuntimeState, runtime_json, target_json
from compiler.emit.sql.state import STATE_FILE, TargetState, tenant_file, to_json
from compiler.graph import SQL_RUNTIME_NODE, PlatformGraph, sql_node, tenant_node
from compiler.resolve import ResolvedSpec

TENANT_STATE = ".json"


def prepare(spec: ResolvedSpec, graph: PlatformGraph) -> Prepared:
    """The desired state decides every byte of the files (and what the lints see), so it
    is, with the code that renders and checks it, the digest: the runtime's for its node;
    the runtime's digest and the target's part for the target's node (its files name the
    runtime's tables and functions); and a tenant's part with its target's digest for the
    tenant's node."""
    runtime, targets = build_targets(spec, [graph.name(node) for node in graph.nodes("sql")])
    code = code_digest("sql")
    digests = {SQL_RUNTIME_NODE: (runtime_digest := fingerprint(code, runtime))}
    for name, target in targets.items():
        digests[sql_node(name)] = target_digest = fingerprint(code, runtime_digest, target.part)
        for tenant, part in target.tenants.items():
            digests[tenant_node(tenant)] = fingerprint(code, target_digest, part)

    def build(reuse: Reuse) -> Iterator[Output]:
        _lint(spec, targets, reuse)
        defined = Defined.of(runtime)
        yield from _runtime(runtime, defined, reuse)
        for name, target in targets.items():
            yield from _target(name, target, defined, reuse)

    return Prepared(digests, build)


def _lint(spec: ResolvedSpec, targets: dict[str, Target], reuse: Reuse) -> None:
    """What is reused was linted when it was built, by this same code (its digest covers
    the code and the state); only what is built now needs the checks again."""
    checked = []
    for name, target in targets.items():
        fresh = [p for t, p in target.tenants.items() if tenant_node(t) not in reuse]
        if fresh or sql_node(name) not in reuse:
            checked.append(TargetState.of(target.shared, fresh))
    lints.check(spec, checked)


def _runtime(runtime: RuntimeState, defined: Defined, reuse: Reuse) -> list[Output]:
    if SQL_RUNTIME_NODE in reuse:
        return [*reuse[SQL_RUNTIME_NODE]]
    files = render_runtime(runtime, defined)
    files[STATE_FILE] = output_json(runtime_json(runtime))
    return _artifacts(RUNTIME_FOLDER, SQL_RUNTIME_NODE, files)


def _target(name: str, target: Target, defined: Defined, reuse: Reuse) -> Iterator[Output]:
    """A target's files, then each of its tenants', one tenant at a time (a pool's tenants'
    files are never in memory together)."""
    node = sql_node(name)
    if node in reuse:
        yield from reuse[node]
    else:
        files = render_target(target.shared, defined)
        files[STATE_FILE] = output_json(target_json(target.part))
        yield from _artifacts(name, node, files)
    for tenant, part in target.tenants.items():
        node = tenant_node(tenant)
        if node in reuse:
            yield from reuse[node]
            continue
        files = render_tenant(target.shared, part)
        files[tenant_file(tenant, TENANT_STATE)] = output_json(to_json(part))
        yield from _artifacts(name, node, files)


def _artifacts(folder: str, node: str, files: dict[str, bytes]) -> list[Output]:
    return [Artifact(f"sql/{folder}/{n}", c, node) for n, c in sorted(files.items())]


FAMILY = Family("sql", prepare)
