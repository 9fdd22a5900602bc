"""The one place where stage order lives:

    load -> dsl -> resolve -> graph -> emit -> write

`validate` runs the first three. `compile_spec` runs them all, in this order, once, whatever
it compiles; skipping unchanged work is each stage's own business, with the output folder's
cache (`compiler.write.cache`):

    load      reads every spec file, or only the shared ones and the tenant files that
              changed since the last compile (`compiler.scope`)
    records   takes the previous node records whose files did not change from the cache
    emit      takes the files of every node whose inputs did not change as they are
    write     writes only the files that differ, knowing unchanged files by their stat

docs/architecture.md draws it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from compiler.clouds import DRIVERS
from compiler.compiled import Compiled
from compiler.dsl import ParsedSpec, parse
from compiler.emit import Output
from compiler.errors import Location, SpecError
from compiler.graph import PlatformGraph, build_graph
from compiler.load import load_spec
from compiler.load.discover import shown_prefix
from compiler.load.git import load_revision
from compiler.load.scan import KnownFile
from compiler.resolve import ResolvedSpec, baseline_of, resolve, tables_of
from compiler.scope import Scope, narrowed
from compiler.write import (
    Difference,
    Disk,
    Previous,
    Writer,
    output_folder,
    read_previous,
    timeout_from_environment,
)
from compiler.write.cache import Cache, cache_key


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
    the previous output and its cache say is still true when the new output is written).
    Nothing is written unless every stage succeeded, and then only the files that differ,
    all or nothing. The previous output is the baseline for lifecycle and data-deletion
    checks, and the source of the files of every node whose inputs did not change.
    `--check` trusts no cache: it verifies every file's bytes against its record.

    When only tenant files changed since the last compile into `out_dir`, and it is as that
    compile left it, only the shared documents and those tenants are read and compiled
    (`compiler.scope`; `incremental=False` always compiles the whole spec).
    """
    timeout = timeout_from_environment() if lock_timeout is None else lock_timeout
    with (
        _collector_paused(),
        output_folder(out_dir, spec_dir, check=check, timeout=timeout) as notes,
    ):
        cache = None if check else Cache.load(out_dir, cache_key(spec_dir, out_dir))
        run = _Run(spec_dir, out_dir, cache, notes, base)
        scope = narrowed(spec_dir, cache) if cache and incremental and base is None else None
        done = run.attempt(scope) if scope is not None else None
        if done is None:
            done = run.compile(Scope())
        assert done is not None  # the whole spec is accepted, or the compile raised
        notes.extend(cache.notes if cache is not None else ())  # a damaged cache, for people
        return done


@dataclass
class _Run:
    spec_dir: Path
    out_dir: Path
    cache: Cache | None  # None: --check
    notes: list[str]
    base: str | None

    def attempt(self, scope: Scope) -> Compiled | None:
        """A narrowed compile, or None (nothing written) when a whole one must decide."""
        try:
            return self.compile(scope)
        except SpecError:
            return None  # the whole compile reports it, with the same messages

    def compile(self, scope: Scope) -> Compiled | None:
        """The stages in order; None when `scope` cannot vouch for what it skips."""
        cache = self.cache
        front = self._resolve(scope)
        if front is None:
            return None
        spec, previous, disk, read, where = front
        if not scope.accepts_resolved(spec):
            return None
        graph = build_graph(spec)
        built = self._emit(scope, spec, graph, previous, disk, where)
        if built is None:
            return None
        outputs, reused, changes = built
        self.notes.extend(previous.notes)
        result = Compiled(spec, graph, outputs, reused, changes, self.notes)
        if cache is None:
            return result
        self._remember(cache, scope, read, result)
        if scope.whole:
            return result
        return result.of_part(len(cache.files), scope.nodes_after(changes), scope.touched)

    def _emit(
        self,
        scope: Scope,
        spec: ResolvedSpec,
        graph: PlatformGraph,
        previous: Previous,
        disk: Disk,
        where: dict[str, Location],
    ) -> tuple[list[Output], frozenset[str], list[Difference]] | None:
        """Emit every family into the writer, and write (or compare); None when `scope`
        cannot vouch for what it skips. What the families prepared and what the writer
        kept of each file are let go when it returns, before the cache is saved."""
        # The emitters are loaded by a compile only: `validate` and `describe` stop at
        # resolve, and loading every emitter and its templates was a fifth of their time.
        from compiler.emit import kept  # noqa: PLC0415
        from compiler.emit.families import emit_all, input_digests, prepare_all  # noqa: PLC0415

        cache = self.cache
        old_homes = kept.kept_records(spec, where, graph, previous.records)
        prepared = prepare_all(spec, graph)  # of the spec's nodes; then a migration's old home
        kept.add_to_graph(graph, old_homes)
        prepared.append(kept.prepare(where, old_homes))
        digests = input_digests(prepared)
        if not scope.accepts_graph(graph, digests, previous):
            return None
        reuse = previous.reusable(digests, disk)
        records = cache if scope.whole else None
        with Writer(previous, disk, records, check=cache is None) as writer:
            outputs = emit_all(spec, graph, prepared, digests, reuse, writer.take)
            changes = writer.finish()
        return outputs, frozenset(reuse), changes

    def _resolve(
        self, scope: Scope
    ) -> (
        tuple[ResolvedSpec, Previous, Disk, dict[str, KnownFile] | None, dict[str, Location]] | None
    ):
        """Load, parse and resolve what `scope` reads, with the previous output; None when
        `scope` cannot vouch for what it skips. The documents and their parsed models are
        let go when it returns: what follows needs the resolved model alone, and of the
        files read, only what the next compile will know them by."""
        from compiler.emit.sql.previous import previous_tables  # noqa: PLC0415

        spec_dir, out_dir, cache = self.spec_dir, self.out_dir, self.cache
        loaded = scope.load(spec_dir)
        parsed = parse(loaded, root=spec_dir.as_posix())
        if cache is not None and not scope.accepts_loaded(loaded, parsed, out_dir, cache):
            return None
        read = scope.files_read(loaded, shown_prefix(spec_dir))
        del loaded
        disk = Disk(out_dir, cache.files if cache is not None else None)
        # A whole compile takes unchanged records from the cache; a narrowed one reads its
        # few from their files, and leaves the cache's records as they are.
        records = cache if scope.whole else None
        previous = read_previous(out_dir, records, disk, only=scope.record_paths())
        if not scope.accepts_previous(previous):
            return None
        if self.base is not None:
            resolve_against_base(parsed, spec_dir, self.base)
        spec = resolve(
            parsed,
            scope.baseline(previous),
            base_name=f"{out_dir.as_posix()}/",
            # The tables the last compile wrote: a new NOT NULL column there needs a default.
            previous_tables=previous_tables(out_dir, previous.records),
            drivers=DRIVERS,
        )
        # Where each kept old home's migration is written, for the errors about it.
        where = {
            t.name: parsed.tenants[t.name].source.at("spec", "migration")
            for t in spec.live_tenants
            if t.kept is not None and t.name in parsed.tenants
        }
        return spec, previous, disk, read, where

    def _remember(
        self, cache: Cache, scope: Scope, read: dict[str, KnownFile] | None, done: Compiled
    ) -> None:
        """Save what the next compile may skip with: every output file by its stat, and
        what the output was made from (when every file of it is known)."""
        removed = (c.path for c in done.changes if c.change == "removed")
        cache.after_write(done.outputs, removed, whole=scope.whole)
        snapshot = scope.snapshot_after(read, done.spec, done.graph)
        cache.snapshot = snapshot if cache.covers(done.outputs) else None
        cache.save(self.out_dir)
