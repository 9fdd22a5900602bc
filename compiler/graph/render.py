"""The dependency graph as text: Mermaid (renders in pull requests), Graphviz dot, or JSON.

Every format lists nodes and edges in sorted order, so the same spec always prints the same
bytes and a change to the graph shows up as a small diff.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from compiler.graph.core import PlatformGraph

FORMATS = ("mermaid", "dot", "json")

# Mermaid shapes per node kind: modules are boxes with bars, stacks boxes, databases
# cylinders, a tenant's record and roles rounded boxes, ACL files hexagons, the SQL runtime a
# subroutine box.
_MERMAID_SHAPES = {
    "module": ('[["', '"]]'),
    "stack": ('["', '"]'),
    "sql": ('[("', '")]'),
    "tenant": ('("', '")'),
    "acl": ('{{"', '"}}'),
    "cedar": ('{{"', '"}}'),
    "runtime": ('[["', '"]]'),
}
_DOT_SHAPES = {
    "module": "component",
    "stack": "box",
    "sql": "cylinder",
    "tenant": "ellipse",
    "acl": "hexagon",
    "cedar": "hexagon",
    "runtime": "component",
}


def render(graph: PlatformGraph, fmt: str) -> str:
    renderers: dict[str, Callable[[PlatformGraph], str]] = {
        "mermaid": to_mermaid,
        "dot": to_dot,
        "json": to_json,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown graph format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return renderers[fmt](graph)


_NODE_ID = re.compile(r"^[a-z]+:[a-z0-9-]+$")


def mermaid_id(node: str) -> str:
    """A Mermaid-safe id: `stack:pool-eu` becomes `stack__pool_eu`.

    Node ids are `<kind>:<spec name>` and spec names hold no `_`, so no two nodes meet.
    """
    if not _NODE_ID.match(node):
        raise ValueError(f"graph node id {node!r} is not <kind>:<name>")
    return node.replace("-", "_").replace(":", "__")


def to_mermaid(graph: PlatformGraph) -> str:
    lines = ["flowchart LR"]
    for node in graph.nodes():
        opening, closing = _MERMAID_SHAPES.get(graph.kind(node), ('["', '"]'))
        lines.append(f"  {mermaid_id(node)}{opening}{node}{closing}")
    lines.extend(f"  {mermaid_id(a)} --> {mermaid_id(b)}" for a, b in graph.edges())
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: PlatformGraph) -> str:
    lines = ["digraph paybill {", "  rankdir=LR;"]
    for node in graph.nodes():
        shape = _DOT_SHAPES.get(graph.kind(node), "box")
        lines.append(f"  {_dot_quote(node)} [shape={shape}];")
    lines.extend(f"  {_dot_quote(a)} -> {_dot_quote(b)};" for a, b in graph.edges())
    for index, wave in enumerate(graph.waves()):
        members = " ".join(_dot_quote(n) for n in wave)
        lines.append(f"  {{ rank=same; {members} }}  // wave {index}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(graph: PlatformGraph) -> str:
    waves = graph.waves()
    wave_of = {node: index for index, wave in enumerate(waves) for node in wave}
    data = {
        "nodes": [
            {
                "id": node,
                "kind": graph.kind(node),
                "name": graph.name(node),
                "wave": wave_of[node],
                "dependsOn": graph.dependencies(node),
            }
            for node in graph.nodes()
        ],
        "edges": [[a, b] for a, b in graph.edges()],
        "waves": waves,
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
