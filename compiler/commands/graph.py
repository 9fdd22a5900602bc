"""`paybill graph [SPEC_DIR] [--generated DIR] [--format mermaid|dot|json]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compiler.commands.common import add_spec_dir
from compiler.graph import build_graph, graph_from_records
from compiler.graph.render import FORMATS, render
from compiler.pipeline import validate
from compiler.records import read_records


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Print what must exist before what: pool stacks, tenant stacks, SQL targets, each "
        "tenant's roles and ACL files, with edges meaning 'must exist first'. From the "
        "spec, or with --generated from a compiled folder's records (what apply uses). "
        "Mermaid renders in pull requests; dot is for Graphviz; json lists each node's "
        "wave and dependencies."
    )
    add_spec_dir(parser)
    parser.add_argument(
        "--generated",
        type=Path,
        metavar="DIR",
        help="read the graph from the node records of a compiled folder instead of the spec",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="mermaid", help="output format (default: mermaid)"
    )
    parser.set_defaults(run=run, collect_cycles=False)


def run(args: argparse.Namespace) -> int:
    if args.generated is not None:
        graph = graph_from_records(read_records(args.generated))
    else:
        graph = build_graph(validate(args.spec_dir))
    sys.stdout.write(render(graph, args.format))
    return 0
