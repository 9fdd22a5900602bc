"""The isolation builders: one per kind of stack, the same for every cloud.

* pool: everything pooled and bridge tenants share: key, logs, network, database, bucket,
  compute platform, the identity of the shared services, the platform API.
* silo: everything dedicated: key, logs, network, database, bucket, identity, and while it
  runs a service, its compute platform, service and API.
* bridge: dedicated key, database and bucket; a place of its own in the pool's network; its
  service on the pool's compute (or the pool's shared services serve it); the pool's API.
* pooled: only what is the tenant's own inside the pool: its identity, limited to its share.

Every tenant ends with its API limits. They speak components only
(`compiler.emit.stacks.components`); a cloud's driver says what each component is there.
"""

from __future__ import annotations

from compiler.emit.stacks.builder import ModuleInterface
from compiler.emit.stacks.components import Built, Components


def build(components: Components) -> tuple[bytes, ModuleInterface]:
    """The module of `components.b`'s shape, finished."""
    kind = components.b.shape.kind
    if kind == "pool":
        built = _pool(components)
    elif kind == "silo":
        built = _silo(components)
    elif kind == "bridge":
        built = _bridge(components)
    elif kind == "pooled":
        built = Built()
        built.identity = components.identity(built)
    else:
        raise ValueError(f"no isolation builder for {kind} stacks")
    if kind != "pool":
        built.limits = components.limits(built)
    components.outputs(built)
    return components.b.finish()


def _own_stores(c: Components) -> Built:
    """Key, logs, network, database and bucket of the stack's own (pools and silos)."""
    built = Built()
    built.key = c.key()
    built.logs = c.logs()
    built.network = c.network(built)
    built.database = c.database(built)
    built.storage = c.storage(built)
    return built


def _pool(c: Components) -> Built:
    built = _own_stores(c)
    built.compute = c.compute(built)
    built.service_logs = c.service_logs()
    built.identity = c.identity(built)
    built.api = c.api(built)
    return built


def _silo(c: Components) -> Built:
    if c.b.shape.workload == "shared":
        raise ValueError(f"a silo shape has compute of its own, not {c.b.shape.name}")
    built = _own_stores(c)
    built.identity = c.identity(built)
    built.service_logs = c.service_logs()
    if c.b.shape.workload == "service":
        built.api = c.api(built)
        built.compute = c.compute(built)
        c.service(built)
    return built


def _bridge(c: Components) -> Built:
    built = Built()
    built.key = c.key()
    built.network = c.pool_network()
    built.database = c.database(built)
    built.storage = c.storage(built)
    built.identity = c.identity(built)
    if c.b.shape.workload != "shared":
        built.service_logs = c.service_logs()
    if c.b.shape.workload == "service":
        c.service(built)
    return built
