"""What a compile gives back."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

from compiler.emit import Output
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec
from compiler.write import Difference


@dataclass(frozen=True)
class Compiled:
    spec: ResolvedSpec  # what was resolved: the whole spec, or what a narrowed compile read
    graph: PlatformGraph  # the nodes of `spec`
    outputs: list[Output]  # the files of those nodes, their records and the manifest
    reused: frozenset[str]  # nodes whose previous artifacts were taken as they were
    changes: list[Difference]  # written, or (with check) what would be
    notes: list[str]  # what people should know: recovered writes, conflicts, old layouts
    files: int = field(default=-1)  # files of the whole output (default: `outputs`)
    nodes: int = field(default=-1)  # nodes of the whole graph (default: `graph`)
    incremental: tuple[str, ...] | None = None  # the tenants compiled; None: the whole spec

    def __post_init__(self) -> None:
        if self.files < 0:
            object.__setattr__(self, "files", len(self.outputs))
        if self.nodes < 0:
            object.__setattr__(self, "nodes", len(self.graph))

    def of_part(self, files: int, nodes: int, tenants: Collection[str]) -> Compiled:
        """This compile of `tenants` (and the shared documents) as a part of the whole
        output of `files` files and `nodes` node records."""
        return replace(self, files=files, nodes=nodes, incremental=tuple(sorted(tenants)))

    @property
    def untouched(self) -> int:
        """Nodes whose files were taken as they were: every node not compiled now, and
        those compiled now whose inputs did not change."""
        return self.nodes - len(self.graph) + len(self.reused)
