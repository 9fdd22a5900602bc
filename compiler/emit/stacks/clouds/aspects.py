"""The aspects every cloud's driver but AWS's shares (AWS's are in
`compiler.emit.stacks.aspects`, which predate the drivers): encryption of every store with
the stack's key, and protection of the data stores. Each driver's rules give the tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compiler.emit.stacks.cdk import IAspect, IConstruct, Resource, implements

# How a store of data at rest names its key: its attributes -> the key's id (or None).
KeyOf = Callable[[dict[str, Any]], Any]


@implements(IAspect)
class KeyEncryption:
    """Every store in `encrypted` names the stack's key; every other type is in `exempt`
    (no data at rest, or a documented exception), or the module fails: a type nobody
    classified is never let through."""

    def __init__(
        self, key_id: str | None, encrypted: Mapping[str, KeyOf], exempt: frozenset[str], rules: str
    ) -> None:
        self.key_id = key_id
        self.encrypted = encrypted
        self.exempt = exempt
        self.rules = rules  # the module that classifies the types, for the message

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, Resource):
            return
        key_of = self.encrypted.get(node.type)
        if key_of is not None:
            if self.key_id is None or key_of(node.attributes) != self.key_id:
                raise ValueError(
                    f"{node.type} '{node.node.id}' stores data, but is not encrypted with "
                    "its stack's key"
                )
        elif node.type not in self.exempt:
            raise ValueError(
                f"resource type {node.type} is not classified for encryption at rest; add "
                f"it to ENCRYPTED or NO_DATA_AT_REST in {self.rules}"
            )


@implements(IAspect)
class Protection:
    """`lifecycle.prevent_destroy` on every data store of `protected` types, but those
    `confirmDestroy` names (`confirmed`), which reviewers agreed may go."""

    def __init__(self, protected: frozenset[str], confirmed: tuple[str, ...]) -> None:
        self.protected = protected
        self.confirmed = frozenset(confirmed)

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, Resource) and node.type in self.protected:
            node.protect(prevent_destroy=node.address not in self.confirmed)
