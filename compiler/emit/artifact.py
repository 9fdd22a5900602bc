"""What emitters produce: a path under the output folder and its exact bytes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compiler import __version__
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec

GENERATOR = f"paybill {__version__}"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One output file. `node` is the graph node it belongs to ("" for platform-wide files)."""

    path: str  # relative, POSIX separators, e.g. "stacks/tenant-acme/cdk.tf.json"
    content: bytes
    node: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


Reuse = Mapping[str, Sequence[Artifact]]


@dataclass(frozen=True)
class Family:
    """A kind of output (stacks, sql, acl): how to fingerprint its nodes and how to build them.

    `input_digests` says, per graph node, a digest of everything the node's artifacts are
    built from. When a node's digest equals the one recorded in the previous manifest, the
    pipeline hands the previous artifacts to `emit` in `reuse`, which may return them as they
    are instead of building them again (this is what makes one-tenant changes cheap).
    """

    name: str
    input_digests: Callable[[ResolvedSpec, PlatformGraph], dict[str, str]]
    emit: Callable[[ResolvedSpec, PlatformGraph, Reuse], list[Artifact]]


def canonical_json(data: Any) -> bytes:
    """Deterministic JSON: sorted keys, two-space indent, LF, trailing newline, UTF-8."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def fingerprint(*parts: Any) -> str:
    """SHA-256 of dataclasses / plain data, plus the generator version (a new compiler
    version may build different output from the same inputs)."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        return value

    payload = json.dumps([GENERATOR, plain(list(parts))], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
