"""The one place where stage order lives: load -> dsl -> resolve (-> graph -> emit -> write)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compiler.clouds import DRIVERS
from compiler.compiled import Compiled
from compiler.dsl import ParsedSpec, parse
from compiler.emit import emit_all, input_digests, prepare_all
from compiler.emit.sql.previous import previous_tables
from compiler.graph import build_graph
from compiler.incremental import compile_changed, snapshot_key, snapshot_of
from compiler.load import load_spec
from compiler.load.discover import shown_prefix
from compiler.load.git import load_revision
from compiler.resolve import ResolvedSpec, baseline_of, resolve, tables_of
from compiler.write import (
    Disk,
    differences,
    output_folder,
    read_previous,
    timeout_from_environment,
    write,
)
from compiler.write.record_cache import RecordCache
from compiler.write.snapshot import discard


def parse_folder(spec_dir: Path) -> ParsedSpec:
    return parse(load_spec(spec_dir), root=spec_dir.as_posix())


def validate(spec_dir: Path, base: str | None = None) -> ResolvedSpec:
    """Load, parse and resolve `spec_dir`; with `base` (a git revision or a folder), also
    check it against the spec as it was there."""
    parsed = parse_folder(spec_dir)
    if base is None:
        return resolve(parsed)
    return resolve_against_base(parsed, spec_dir, base)


def resolve_against_base(parsed: ParsedSpec, spec_dir: Path, base: str) -> ResolvedSpec:
    """Resolve `parsed`, checking it against the spec in `base` (a folder, or a git revision
    of `spec_dir`): lifecycle transitions of its tenants, and columns added to its tables
    (they may hold rows)."""
    base_path = Path(base)
    before: ParsedSpec | None
    if base_path.is_dir():
        before = parse_folder(base_path)
    else:
        loaded = load_revision(spec_dir, base)
        before = parse(loaded) if loaded is not None else None
    if before is None:
        return resolve(parsed, {}, base_name=base)
    baseline = baseline_of(before)
    return resolve(parsed, baseline, base_name=base, previous_tables=tables_of(before))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A compile builds a large graph of objects that all live until it ends, and almost no
    cyclic garbage: the cyclic collector's passes over them were a fifth of a one-tenant
    recompile at 1,000 tenants. Paused while the compile runs."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def compile_spec(
    spec_dir: Path,
    out_dir: Path,
    *,
    check: bool = False,
    base: str | None = None,
    lock_timeout: float | None = None,
    incremental: bool = True,
) -> Compiled:
    """Validate, build the graph, emit what changed in memory, then write (or compare).

    One compile at a time writes into `out_dir` (it is locked for the whole run, so what
    the previous output says is still true when the new one is written). Nothing is written
    unless every stage succeeded, and then only the files that differ, all or nothing. The
    previous output is the baseline for lifecycle and data-deletion checks, and the source
    of the files of every node whose inputs did not change (`--check` verifies those files'
    bytes against their records instead of trusting file times).

    When only tenant files changed since the last compile into `out_dir` and it is as that
    compile left it, only the shared documents and those tenants are compiled
    (`compiler.incremental`; `incremental=False` always compiles everything).
    """
    timeout = timeout_from_environment() if lock_timeout is None else lock_timeout
    with (
        _collector_paused(),
        output_folder(out_dir, spec_dir, check=check, timeout=timeout) as notes,
    ):
        if incremental and not check and base is None:
            done = compile_changed(spec_dir, out_dir, notes)
            if done is not None:
                return done
        cache = None if check else RecordCache(out_dir)
        previous = read_previous(out_dir, cache)
        notes.extend(previous.notes)
        loaded = load_spec(spec_dir)
        parsed = parse(loaded, root=spec_dir.as_posix())
        if base is not None:
            resolve_against_base(parsed, spec_dir, base)
        spec = resolve(
            parsed,
            previous.baseline(),
            base_name=f"{out_dir.as_posix()}/",
            # The tables the last compile wrote: a new NOT NULL column there needs a default.
            previous_tables=previous_tables(out_dir, previous.records),
            drivers=DRIVERS,
        )
        graph = build_graph(spec)
        prepared = prepare_all(spec, graph)
        digests = input_digests(prepared)
        disk = Disk(out_dir, trust=not check)
        reuse = previous.reusable(digests, disk)
        outputs = emit_all(spec, graph, prepared, digests, reuse)
        if check:
            changes = differences(outputs, previous, disk, everything=True)
        else:
            discard(out_dir)
            changes = write(outputs, previous, disk)
            disk.save()
            if cache is not None:
                cache.wrote(outputs, {c.path for c in changes})
                cache.save()
            key = snapshot_key(spec_dir, out_dir)
            snapshot = snapshot_of(key, loaded, shown_prefix(spec_dir), spec, graph, outputs, disk)
            if snapshot is not None:
                snapshot.save(out_dir)
    return Compiled(
        spec, graph, outputs, frozenset(reuse), changes, notes, len(outputs), len(graph)
    )
