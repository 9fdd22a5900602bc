"""What a compile gives back: the result `compiler.pipeline` and `compiler.incremental` share."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.emit import Output
from compiler.graph import PlatformGraph
from compiler.resolve import ResolvedSpec
from compiler.write import Difference


@dataclass(frozen=True)
class Compiled:
    spec: ResolvedSpec  # what was resolved: the whole spec, or (incremental) what changed
    graph: PlatformGraph  # the nodes of `spec`
    outputs: list[Output]  # the files of those nodes, their records and the manifest
    reused: frozenset[str]  # nodes whose previous artifacts were taken as they were
    changes: list[Difference]  # written, or (with check) what would be
    notes: list[str]  # what people should know: recovered writes, conflicts, old layouts
    files: int  # files of the whole output
    nodes: int  # nodes of the whole graph
    incremental: tuple[str, ...] | None = None  # the tenants compiled again; None: everything

    @property
    def untouched(self) -> int:
        """Nodes whose files were taken as they were: every node not compiled now, and
        those compiled now whose inputs did not change."""
        return self.nodes - len(self.graph) + len(self.reused)
