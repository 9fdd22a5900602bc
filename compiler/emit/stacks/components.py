"""The component model: what the isolation builders ask a cloud for, and what each isolation
model means, the same on every cloud.

A stack is made of components: a network, a PostgreSQL database, a key, object storage, a
secret (the database's administrator credential, kept by the cloud), a compute service, an
API product with quotas, a queue, and logs. Each isolation model says, per component,
whether the stack has its own, uses its pool's, or has none (`provisions`); a test holds
every driver's modules to it. Each cloud's driver (`compiler.emit.stacks.clouds`) maps the
components to its own resources through one `Components` class; the isolation builders
(`compiler.emit.stacks.isolation`) call them in the same order for every cloud.

A handle a component returns is the driver's own (its resources, as references): the
isolation builders pass it back to the same driver and never look inside.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

from compiler.emit.stacks.builder import StackBuilder
from compiler.resolve.shapes import Shape

Component = Literal[
    "network", "database", "key", "storage", "secret", "compute", "api", "queue", "logs"
]
COMPONENTS: tuple[Component, ...] = (
    "network",
    "database",
    "key",
    "storage",
    "secret",
    "compute",
    "api",
    "queue",
    "logs",
)
Provision = Literal["own", "pool", "none"]


def provisions(shape: Shape) -> dict[Component, Provision]:
    """What a stack of `shape` has of each component: its `own`, its `pool`'s, or `none`.

    No isolation model uses a queue yet (nothing in the spec asks for one): it is part of
    the model so that each driver says what it would map it to, or that it has none."""
    service = shape.workload == "service"
    if shape.kind == "pool":
        return {c: "none" if c == "queue" else "own" for c in COMPONENTS}
    if shape.kind == "silo":
        dedicated: dict[Component, Provision] = dict.fromkeys(COMPONENTS, "own")
        dedicated["compute"] = "own" if service else "none"
        dedicated["queue"] = "none"
        return dedicated
    if shape.kind == "bridge":
        bridge: dict[Component, Provision] = dict.fromkeys(COMPONENTS, "own")
        bridge["network"] = bridge["api"] = bridge["logs"] = "pool"
        bridge["queue"] = "none"
        bridge["compute"] = "pool" if service or shape.workload == "shared" else "none"
        return bridge
    pooled: dict[Component, Provision] = dict.fromkeys(COMPONENTS, "pool")
    pooled["queue"] = "none"
    return pooled


@dataclass
class Built:
    """The handles of one module's components, as the isolation builders collect them."""

    key: Any = None
    logs: Any = None  # the stack's own log store (None: the pool's)
    network: Any = None
    database: Any = None
    storage: Any = None
    service_logs: Any = None  # where the stack's services write their logs
    compute: Any = None  # a compute platform of its own (cluster, environment)
    identity: Any = None  # who the tenant's (or the pool's shared) code acts as
    api: Any = None  # an API of its own
    limits: Any = None  # the tenant's product, subscription and quotas


class Components(ABC):
    """One cloud's components, built into one module (`self.b`)."""

    def __init__(self, b: StackBuilder) -> None:
        self.b = b

    @abstractmethod
    def key(self) -> Any:
        """The stack's customer-managed key (rotating): everything it stores is encrypted
        with it."""

    @abstractmethod
    def logs(self) -> Any:
        """The stack's own store of access, flow and audit logs."""

    @abstractmethod
    def network(self, built: Built) -> Any:
        """A private network of the stack's own, its ranges from the stack's values."""

    @abstractmethod
    def pool_network(self) -> Any:
        """A bridge tenant's place in its pool's network: groups or rules of its own that
        let only its own workload (or the pool's shared services) reach its database."""

    @abstractmethod
    def database(self, built: Built) -> Any:
        """PostgreSQL, private, encrypted with the key, its administrator credential kept
        by the cloud (the `secret` component), protected from deletion."""

    @abstractmethod
    def storage(self, built: Built) -> Any:
        """The stack's bucket: versioned, no public access, encrypted with the key."""

    @abstractmethod
    def service_logs(self) -> Any:
        """Where the stack's services write their logs."""

    @abstractmethod
    def compute(self, built: Built) -> Any:
        """A compute platform of the stack's own (a cluster, an environment)."""

    @abstractmethod
    def identity(self, built: Built) -> Any:
        """Who the stack's code acts as: the pool's shared services, or the tenant's code,
        with access to its own stores only (pooled: its share of the pool's)."""

    @abstractmethod
    def service(self, built: Built) -> None:
        """The tenant's service, on its own compute (`built.compute`) or the pool's."""

    @abstractmethod
    def api(self, built: Built) -> Any:
        """An API of the stack's own in front of its services."""

    @abstractmethod
    def limits(self, built: Built) -> Any:
        """The tenant's API product or subscription and its quotas, on its own API
        (`built.api`) or the pool's; the shape says limited, unlimited or blocked."""

    @abstractmethod
    def outputs(self, built: Built) -> None:
        """The module's outputs: what tenant stacks read from a pool, what later steps read
        from a tenant."""
