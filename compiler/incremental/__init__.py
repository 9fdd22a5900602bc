"""An incremental compile: when only tenant files changed since the last compile into the
same folder, compile the shared documents and the changed tenants alone.

Output was made to merge: a tenant's files depend on the shared documents (platform, plans,
tables, tools, agents, workflows), on its own document and on the compiler, and on no other
tenant. So when the shared documents, the compiler and the output are as the last compile
left them, the files of every other tenant stay what they are, and compiling the shared
documents with just the changed tenants gives the files that change. What ties tenants
together is checked against the snapshot's facts of the others (database role names,
networks); the shared nodes' input digests must come out as their records say, or the
assumption did not hold.

Whenever any of this cannot be vouched for, `compile_changed` returns None before it writes
anything, and the pipeline runs the full compile, which also reports problems: a spec with
errors is always compiled in full, so its messages are the same either way.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from importlib.metadata import version
from pathlib import Path

from compiler import __version__
from compiler.clouds import DRIVERS
from compiler.compiled import Compiled
from compiler.dsl import ParsedSpec, parse
from compiler.emit import Output, Recorded, emit_all, input_digests, prepare_all
from compiler.emit.sql.previous import previous_tables
from compiler.errors import SpecError
from compiler.graph import PlatformGraph, build_graph
from compiler.incremental.scan import (
    SpecScan,
    output_as_left,
    scan_spec,
    tenant_nodes,
    within_limits,
)
from compiler.load import LoadedSpec
from compiler.load.discover import load_read
from compiler.records import RECORDS_FOLDER, record_path, safe_path
from compiler.resolve import ResolvedSpec, resolve
from compiler.resolve.model import Tenant
from compiler.resolve.roles import agent_role
from compiler.write import Disk, write
from compiler.write.previous import Previous, read_previous
from compiler.write.snapshot import Snapshot, SpecFileEntry, TenantFacts, discard

# More tenants compiled again than this and a full compile costs about as much.
MAX_TENANTS = 200

__all__ = ["compile_changed", "snapshot_key", "snapshot_of"]


@cache
def _code_digest() -> str:
    """Every file of the compiler package, and the versions that shape its output."""
    return package_digest(Path(__file__).resolve().parents[1])


def package_digest(root: Path) -> str:
    """SHA-256 of every file under `root` (compiled bytecode aside), with the versions of
    paybill and cdktn."""
    digest = hashlib.sha256(f"paybill {__version__}\0cdktn {version('cdktn')}".encode())
    for source in sorted(
        p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(source.relative_to(root).as_posix().encode() + b"\0")
        digest.update(source.read_bytes())
    return digest.hexdigest()


def snapshot_key(spec_dir: Path, out_dir: Path) -> str:
    """The same code compiling the same spec folder into the same output folder."""
    folders = f"{spec_dir.resolve().as_posix()}\0{out_dir.resolve().as_posix()}"
    return hashlib.sha256(f"{_code_digest()}\0{folders}".encode()).hexdigest()


def compile_changed(spec_dir: Path, out_dir: Path, notes: list[str]) -> Compiled | None:
    """Compile only what the changed tenant files touch, or None (nothing written) when a
    full compile must decide. `notes` are the output folder's, passed on in the result."""
    snapshot = Snapshot.load(out_dir, snapshot_key(spec_dir, out_dir))
    if snapshot is None:
        return None
    scan = scan_spec(spec_dir, snapshot)
    if scan is None:
        return None
    loaded = load_read(scan.read, scan.prefix)
    if loaded.problems or loaded.unread or not within_limits(scan, snapshot, loaded.facts):
        return None
    parsed = parse(loaded, root=spec_dir.as_posix())
    if parsed.problems or parsed.invalid:
        return None
    defined = _tenants_by_file(loaded, scan.prefix)
    if any(defined.get(p, ()) is None for p in scan.changed):
        return None  # a new or changed file holds more than tenants
    before = {
        t for p in scan.changed if p in snapshot.files for t in snapshot.files[p].tenants or ()
    }
    touched = before | set(parsed.tenants)
    if len(touched) > MAX_TENANTS:
        return None  # a full compile costs about as much, and reads records faster
    kept = {
        t
        for p, entry in snapshot.files.items()
        if p in scan.present and p not in scan.changed
        for t in entry.tenants or ()
    }
    if set(parsed.tenants) & kept:
        return None  # also defined in a file that did not change: the full compile says where
    others = {n: f for n, f in snapshot.tenants.items() if n not in touched}
    if not output_as_left(out_dir, snapshot, touched):
        return None
    disk = Disk(out_dir, trust=True, cached=False)
    nodes = [*snapshot.shared, *(n for t in sorted(touched) for n in tenant_nodes(t))]
    paths = [record_path(n) for n in nodes]
    if any(safe_path(p) is None for p in paths):
        return None  # a damaged snapshot: nothing is read by a name it gives
    previous = read_previous(out_dir, only=paths)
    if previous.notes or previous.legacy is not None:
        return None
    built = _build(parsed, previous, others, snapshot, disk)
    if built is None:
        return None
    spec, graph, outputs, reuse = built
    discard(out_dir)
    changes = write(outputs, previous, disk)
    updated = _updated(snapshot, scan, loaded, defined, spec, previous, outputs, disk, touched)
    if updated is not None:
        updated.save(out_dir)
    whole = (updated or snapshot).outputs
    return Compiled(
        spec,
        graph,
        outputs,
        frozenset(reuse),
        changes,
        notes,
        len(whole),
        sum(1 for p in whole if p.startswith(f"{RECORDS_FOLDER}/")),
        tuple(sorted(touched)),
    )


def _build(
    parsed: ParsedSpec,
    previous: Previous,
    others: dict[str, TenantFacts],
    snapshot: Snapshot,
    disk: Disk,
) -> tuple[ResolvedSpec, PlatformGraph, list[Output], dict[str, list[Recorded]]] | None:
    try:
        spec = resolve(
            parsed,
            previous.baseline() or {},
            base_name=f"{previous.folder.as_posix()}/",
            previous_tables=previous_tables(previous.folder, previous.records),
            drivers=DRIVERS,
        )
    except SpecError:
        return None
    if not _apart_from(spec, others):
        return None
    graph = build_graph(spec)
    prepared = prepare_all(spec, graph)
    digests = input_digests(prepared)
    shared = set(snapshot.shared)
    tenants = {n for t in spec.tenants for n in tenant_nodes(t.name)}
    if {n for n in graph.nodes() if n not in tenants} != shared:
        return None
    for node in shared:
        record = previous.records.get(node)
        if record is None or record.input_digest != digests[node]:
            return None  # a shared node would change: only a full compile builds it
    reuse = previous.reusable(digests, disk)
    return spec, graph, emit_all(spec, graph, prepared, digests, reuse), reuse


def _apart_from(spec: ResolvedSpec, others: dict[str, TenantFacts]) -> bool:
    """Whether the compiled tenants keep clear of the others: no database role name in
    common, no network overlapping one of theirs."""
    agents = [a.name for a in spec.agents]
    live = [t for t in spec.tenants if t.state != "deleted"]
    mine = {agent_role(t.name, a) for t in live for a in agents}
    if any(agent_role(n, a) in mine for n, f in others.items() if f.live for a in agents):
        return False
    networks = [ipaddress.ip_network(t.network_cidr) for t in live if t.network_cidr]
    if not networks:
        return True
    for facts in others.values():
        if facts.live and facts.network is not None:
            try:
                theirs = ipaddress.ip_network(facts.network)
            except ValueError:
                return False  # not what a compile recorded
            if any(theirs.overlaps(n) for n in networks):
                return False
    return True


def _tenants_by_file(loaded: LoadedSpec, prefix: str) -> dict[str, tuple[str, ...] | None]:
    """File -> the tenants it defines, None for a file holding any other kind."""
    out: dict[str, tuple[str, ...] | None] = {f.relative: () for f in loaded.facts}
    cut = len(prefix) + 1
    for document in loaded.documents:
        relative = document.file[cut:]
        known = out.get(relative)
        if document.kind == "Tenant" and known is not None:
            out[relative] = (*known, document.name)
        else:
            out[relative] = None
    return out


def snapshot_of(
    key: str,
    loaded: LoadedSpec,
    prefix: str,
    spec: ResolvedSpec,
    graph: PlatformGraph,
    outputs: Iterable[Output],
    disk: Disk,
) -> Snapshot | None:
    """The snapshot of a full compile, or None when its spec files cannot be vouched for
    (bytes that came from no file)."""
    files = _entries(loaded, _tenants_by_file(loaded, prefix))
    if files is None:
        return None
    tenants = {t.name: _facts(t) for t in spec.tenants}
    owned = {n for t in tenants for n in tenant_nodes(t)}
    shared = sorted(n for n in graph.nodes() if n not in owned)
    stats = _stats(outputs, disk)
    return Snapshot(key, files, tenants, stats, shared) if stats is not None else None


def _entries(
    loaded: LoadedSpec, defined: dict[str, tuple[str, ...] | None]
) -> dict[str, SpecFileEntry] | None:
    """The files that were read, as the snapshot lists them; None when bytes came from no
    file (they cannot be known again by their stat)."""
    out = {}
    for facts in loaded.facts:
        if facts.stat is None:
            return None
        out[facts.relative] = SpecFileEntry(
            facts.stat,
            facts.sha256,
            facts.bytes,
            facts.documents,
            facts.values,
            defined.get(facts.relative),
        )
    return out


def _stats(outputs: Iterable[Output], disk: Disk) -> dict[str, list[int]] | None:
    """Each output file's stat as this compile wrote or checked it; None when it did not
    see one of them (no snapshot then: the next compile is a full one)."""
    out = {}
    for output in outputs:
        stat = disk.stat_of(output.path)
        if stat is None:
            return None
        out[output.path] = stat
    return out


def _facts(tenant: Tenant) -> TenantFacts:
    live = tenant.state != "deleted"
    return TenantFacts(live, tenant.network_cidr if live else None)


def _updated(
    snapshot: Snapshot,
    scan: SpecScan,
    loaded: LoadedSpec,
    defined: dict[str, tuple[str, ...] | None],
    spec: ResolvedSpec,
    previous: Previous,
    outputs: list[Output],
    disk: Disk,
    touched: set[str],
) -> Snapshot | None:
    read = _entries(loaded, defined)
    if read is None:
        return None
    files = {p: e for p, e in snapshot.files.items() if p in scan.present}
    for path, stat in scan.restat.items():
        files[path] = replace(files[path], stat=stat)
    files.update(read)
    tenants = {n: f for n, f in snapshot.tenants.items() if n not in touched}
    tenants.update((t.name, _facts(t)) for t in spec.tenants)
    mine = {n for t in touched for n in tenant_nodes(t)}
    gone = {record_path(n) for n in mine}
    for node, record in previous.records.items():
        if node in mine:
            gone.update(a.path for a in record.artifacts)
    built = _stats((o for o in outputs if o.node in mine), disk)
    if built is None:
        return None
    stats = {p: s for p, s in snapshot.outputs.items() if p not in gone}
    stats.update(built)
    return Snapshot(snapshot.key, files, tenants, stats, snapshot.shared)
