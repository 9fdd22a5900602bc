"""The compiled SQL states of one output (base or head), read through its node records.

An output holds the runtime every target shares (`sql/shared/state.json`, node
`runtime:sql`), each target's role names (`sql/<target>/state.json`) and each tenant's part
(`sql/<target>/tenants/<tenant>.json`). An output written before the runtime was shared
held a target's whole shared state in its `state.json` and had no runtime node: read from
such a base, a target's state is taken apart into the same two (`runtime.split`), so that a
plan against it compares like with like.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import orjson
import pydantic

from compiler.emit.sql.policies import with_policies
from compiler.emit.sql.runtime import (
    RuntimeState,
    TargetPart,
    assemble,
    runtime_from_json,
    split,
    target_from_json,
)
from compiler.emit.sql.state import SharedState, TenantPart, shared_from_json, tenant_from_json
from compiler.errors import EnvironmentProblem
from compiler.graph import SQL_RUNTIME_NODE, sql_node, tenant_node
from compiler.operate.sources import Source
from compiler.records import NodeRecord

T = TypeVar("T")
STATE = "/state.json"


@dataclass
class States:
    """One output's SQL states, each shared state put together at most once. `record` gives
    a node's record in this output; `nodes` are the nodes it may have."""

    source: Source
    record: Callable[[str], NodeRecord | None]
    nodes: Sequence[str]
    _shared: dict[str, SharedState | None] = field(default_factory=dict)

    def runtime(self) -> tuple[RuntimeState | None, bool]:
        """The runtime, and whether it was taken from an older output's target."""
        found = _artifact(self.record(SQL_RUNTIME_NODE), STATE)
        if found is not None:
            return self._load(found, runtime_from_json), False
        for node in sorted(n for n in self.nodes if n.startswith("sql:")):
            whole = self._whole(node)
            if whole is not None:
                return split(whole)[0], True
        return None, False

    def target(self, target: str) -> TargetPart | None:
        node = sql_node(target)
        path = _artifact(self.record(node), STATE)
        if path is None:
            return None
        content = self.source.read(path) or b"{}"
        if _is_whole(content):
            whole = self._whole(node)
            return split(whole)[1] if whole is not None else None
        return self._load(path, target_from_json)

    def shared(self, target: str) -> SharedState | None:
        """The target's whole shared state: the runtime with its names."""
        if target not in self._shared:
            runtime, _ = self.runtime()
            part = self.target(target)
            self._shared[target] = (
                assemble(runtime, part) if runtime is not None and part is not None else None
            )
        return self._shared[target]

    def tenant(self, tenant: str) -> TenantPart | None:
        """A tenant's part, its policies derived from its target's state where the file does
        not list them."""
        path = _artifact(self.record(tenant_node(tenant)), ".json")
        if path is None:
            return None
        part = self._load(path, tenant_from_json)
        shared = self.shared(part.target)
        return with_policies(part, shared) if shared is not None else part

    def _whole(self, node: str) -> SharedState | None:
        path = _artifact(self.record(node), STATE)
        if path is None or not _is_whole(self.source.read(path) or b""):
            return None
        return self._load(path, shared_from_json)

    def _load(self, path: str, parse: Callable[[bytes], T]) -> T:
        content = self.source.read(path)
        if content is None:
            raise EnvironmentProblem(f"{self.source.label}/{path} is missing: compile again")
        try:
            return parse(content)
        except pydantic.ValidationError:
            raise EnvironmentProblem(
                f"{self.source.label}/{path} is not a valid state file: compile again"
            ) from None


def _artifact(record: NodeRecord | None, suffix: str) -> str | None:
    if record is None:
        return None
    return next((a.path for a in record.artifacts if a.path.endswith(suffix)), None)


def _is_whole(content: bytes) -> bool:
    """Whether a target's `state.json` is the whole shared state (an older output's)."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and str(data.get("schemaVersion", "")).startswith(
        "paybill.dev/sql-state/"
    )
