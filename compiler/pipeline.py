"""The one place where stage order lives: load -> dsl -> resolve (-> graph -> emit -> write)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compiler.dsl import ParsedSpec, parse
from compiler.emit import Artifact, emit_all, input_digests, prepare_all
from compiler.graph import PlatformGraph, build_graph
from compiler.load import load_spec
from compiler.load.git import load_revision
from compiler.resolve import Baseline, ResolvedSpec, baseline_of, resolve
from compiler.write import Difference, compare, read_previous, write_tree


def parse_folder(spec_dir: Path) -> ParsedSpec:
    return parse(load_spec(spec_dir), root=spec_dir.as_posix())


def validate(spec_dir: Path, base: str | None = None) -> ResolvedSpec:
    """Load, parse and resolve `spec_dir`; with `base` (a git revision or a folder), also
    check lifecycle transitions against the spec as it was there."""
    parsed = parse_folder(spec_dir)
    if base is None:
        return resolve(parsed)
    return resolve(parsed, base_baseline(spec_dir, base), base_name=base)


def base_baseline(spec_dir: Path, base: str) -> dict[str, Baseline]:
    """Tenants as they are in `base`: a folder, or a git revision of `spec_dir`."""
    base_path = Path(base)
    before: ParsedSpec | None
    if base_path.is_dir():
        before = parse_folder(base_path)
    else:
        loaded = load_revision(spec_dir, base)
        before = parse(loaded) if loaded is not None else None
    return baseline_of(before) if before is not None else {}


@dataclass(frozen=True)
class Compiled:
    spec: ResolvedSpec
    graph: PlatformGraph
    artifacts: list[Artifact]
    reused: frozenset[str]  # nodes whose previous artifacts were taken as they were
    changes: list[Difference]  # written, or (with check) what would be


def compile_spec(
    spec_dir: Path, out_dir: Path, *, check: bool = False, base: str | None = None
) -> Compiled:
    """Validate, build the graph, emit every artifact in memory, then write (or compare).

    Nothing is written unless every stage succeeded, and then all at once. The previous
    output is the baseline for lifecycle and data-deletion checks, and the source of
    artifacts whose inputs did not change.
    """
    previous = read_previous(out_dir)
    parsed = parse_folder(spec_dir)
    if base is not None:
        resolve(parsed, base_baseline(spec_dir, base), base_name=base)
    spec = resolve(parsed, previous.baseline(), base_name=f"{out_dir.as_posix()}/manifest.json")
    graph = build_graph(spec)
    prepared = prepare_all(spec, graph)
    digests = input_digests(prepared)
    # --check builds everything: it must also catch output that an older compiler wrote.
    reuse = {} if check else previous.reusable(digests)
    artifacts = emit_all(spec, graph, prepared, digests, reuse)
    offered = {id(a) for old in reuse.values() for a in old}
    taken = [a for a in artifacts if id(a) in offered]  # read from out_dir just now, intact
    reused = frozenset(a.node for a in taken)
    verified = frozenset(a.path for a in taken)
    changes = compare(out_dir, artifacts) if check else write_tree(out_dir, artifacts, verified)
    return Compiled(spec, graph, artifacts, reused, changes)
