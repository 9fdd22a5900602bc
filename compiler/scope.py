"""What one compile reads and builds: everything, or the shared documents and the tenants
whose files changed since the last compile into the same folder.

Output was made to merge: a tenant's files depend on the shared documents (platform, plans,
tables, tools, agents, workflows), on its own document and on the compiler, and on no other
tenant. So when the shared documents, the compiler and the output are as the last compile
left them (its cache's snapshot says how that was), the files of every other tenant stay
what they are, and compiling the shared documents with just the changed tenants gives every
file that changes. What ties tenants together is checked against the snapshot's facts of the
others (database role names, networks); the shared nodes' input digests must come out as
their records say, or the assumption did not hold.

The pipeline runs the same stages whatever the scope (`compiler.pipeline`). Between them, a
narrowed scope checks what it alone can tell (the `accepts_*` methods); when one cannot vouch
for the assumption, the pipeline starts again with the whole spec, before anything was
written. A spec with errors is always compiled whole, so its messages are the same either way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from compiler.dsl import ParsedSpec
from compiler.graph import PlatformGraph, acl_node, module_node, sql_node, stack_node, tenant_node
from compiler.homes import default_stack
from compiler.load import LoadedSpec, load_spec
from compiler.load.discover import load_read
from compiler.load.scan import (
    KnownFile,
    SpecScan,
    known_after,
    known_files,
    scan_spec,
    tenants_by_file,
    within_limits,
)
from compiler.records import RECORDS_FOLDER, record_files, record_path, safe_path
from compiler.resolve import Baseline, ResolvedSpec
from compiler.resolve.model import Tenant
from compiler.resolve.roles import agent_role
from compiler.write.cache import Cache, Snapshot, TenantTies
from compiler.write.disk import all_unchanged
from compiler.write.previous import Previous
from compiler.write.tree import Difference

# More tenants compiled again than this and a whole compile costs about as much.
MAX_TENANTS = 200


def tenant_nodes(tenant: str) -> tuple[str, ...]:
    """Every node a tenant may have (which of them it has depends on its isolation; a module
    of its own when its stack lets a store go)."""
    return (
        tenant_node(tenant),
        module_node(default_stack(tenant)),
        stack_node(default_stack(tenant)),
        sql_node(default_stack(tenant)),
        acl_node(tenant),
    )


@dataclass
class Scope:
    """The whole spec (no `scan`), or the shared documents and the tenants of the changed
    files: `touched`, known once the changed files are parsed."""

    scan: SpecScan | None = None
    snapshot: Snapshot | None = None
    touched: frozenset[str] = frozenset()
    others: dict[str, TenantTies] = field(default_factory=dict)  # every tenant not compiled
    records: int = 0  # the node records the output held before the compile

    @property
    def whole(self) -> bool:
        return self.scan is None

    def load(self, spec_dir: Path) -> LoadedSpec:
        """Every spec file, or the shared ones and the changed tenant files."""
        if self.scan is None:
            return load_spec(spec_dir)
        return load_read(self.scan.read, self.scan.prefix)

    def accepts_loaded(
        self, loaded: LoadedSpec, parsed: ParsedSpec, out_dir: Path, cache: Cache
    ) -> bool:
        """Whether the changed files hold only tenants, few enough, defined nowhere else,
        and the output is as the last compile left it. Decides `touched`."""
        scan, snapshot = self.scan, self.snapshot
        if scan is None or snapshot is None:
            return True
        if loaded.problems or loaded.unread or parsed.problems or parsed.invalid:
            return False
        if not within_limits(scan, snapshot.spec, loaded.facts):
            return False
        touched = _touched(scan, snapshot, loaded, parsed)
        if touched is None:
            return False
        if any(_names_its_stack(parsed, name) for name in touched):
            return False
        self.touched = touched
        self.others = {n: f for n, f in snapshot.tenants.items() if n not in touched}
        return self._output_as_left(out_dir, cache) and all(
            safe_path(p) is not None for p in self.record_paths() or ()
        )

    def _output_as_left(self, out_dir: Path, cache: Cache) -> bool:
        """Whether every output file still has the stat the cache lists, and no record file
        appeared but those of the tenants compiled now. Counts the records."""
        if not all_unchanged(out_dir, cache.files):
            return False
        listed = record_files(out_dir)
        allowed = {record_path(n) for t in self.touched for n in tenant_nodes(t)}
        if not all(p in cache.files or p in allowed for p in listed):
            return False  # a record file that no compile wrote
        self.records = len(listed)
        return True

    def nodes_after(self, changes: Iterable[Difference]) -> int:
        """The node records the output holds after a narrowed compile made `changes`."""
        count = self.records
        for change in changes:
            if change.path.startswith(f"{RECORDS_FOLDER}/") and change.change != "changed":
                count += 1 if change.change == "added" else -1
        return count

    def record_paths(self) -> list[str] | None:
        """The records to read: every one (None), or those of the nodes compiled now."""
        if self.snapshot is None:
            return None
        nodes = [*self.snapshot.shared, *(n for t in sorted(self.touched) for n in tenant_nodes(t))]
        return [record_path(n) for n in nodes]

    def accepts_previous(self, previous: Previous) -> bool:
        """A narrowed compile takes the previous records as they are: a damaged record or an
        older layout is for a whole compile to repair."""
        if self.whole:
            return True
        if previous.notes or previous.legacy is not None:
            return False
        return not any(_stack_taken(previous, name) for name in self.touched)

    def baseline(self, previous: Previous) -> dict[str, Baseline] | None:
        """Tenants as last compiled, for the lifecycle checks. A narrowed compile reads only
        its own tenants' records, of which there may be none while others exist: its new
        tenants are checked as a whole compile checks them."""
        found = previous.baseline()
        return {} if found is None and not self.whole else found

    def accepts_resolved(self, spec: ResolvedSpec) -> bool:
        """Whether the compiled tenants keep clear of the others: no database role name in
        common, no network overlapping one of theirs."""
        if self.whole:
            return True
        agents = [a.name for a in spec.agents]
        live = [t for t in spec.tenants if t.state != "deleted"]
        mine = {agent_role(t.name, a) for t in live for a in agents}
        others = self.others
        if any(agent_role(n, a) in mine for n, f in others.items() if f.live for a in agents):
            return False
        networks = [ipaddress.ip_network(t.network_cidr) for t in live if t.network_cidr]
        for facts in others.values() if networks else ():
            if facts.live and facts.network is not None:
                try:
                    theirs = ipaddress.ip_network(facts.network)
                except ValueError:
                    return False  # not what a compile recorded
                if any(theirs.overlaps(n) for n in networks):
                    return False
        return True

    def accepts_graph(
        self, graph: PlatformGraph, digests: dict[str, str], previous: Previous
    ) -> bool:
        """Whether the shared nodes are the ones the last compile had, with the same inputs
        (a shared node that changes is built by a whole compile only)."""
        if self.snapshot is None:
            return True
        shared = set(self.snapshot.shared)
        tenants = {n for t in self.touched for n in tenant_nodes(t)}
        if {n for n in graph.nodes() if n not in tenants} != shared:
            return False
        for node in shared:
            record = previous.records.get(node)
            if record is None or record.input_digest != digests[node]:
                return False
        return True

    def files_read(self, loaded: LoadedSpec, prefix: str) -> dict[str, KnownFile] | None:
        """The spec files `loaded` read, as the next compile will know them (`prefix`: how
        the spec folder is shown); None when bytes came from no file. Taken as soon as the
        files are parsed, so that their documents need not be held until the end."""
        return known_files(loaded, prefix if self.scan is None else self.scan.prefix)

    def snapshot_after(
        self, read: dict[str, KnownFile] | None, spec: ResolvedSpec, graph: PlatformGraph
    ) -> Snapshot | None:
        """What the next compile knows this one was made from (`read`: `files_read`); None
        when a spec file read now cannot be known again by its stat."""
        ties = {t.name: _ties(t) for t in spec.tenants}
        if self.scan is None or self.snapshot is None:
            if read is None:
                return None
            owned = {n for t in ties for n in tenant_nodes(t)}
            return Snapshot(read, ties, sorted(n for n in graph.nodes() if n not in owned))
        files = known_after(self.snapshot.spec, self.scan, read)
        if files is None:
            return None
        return Snapshot(files, {**self.others, **ties}, self.snapshot.shared)


def narrowed(spec_dir: Path, cache: Cache) -> Scope | None:
    """The scope of a compile of the changed tenant files alone, when the cache knows the
    last compile's spec and only tenant files changed since; None otherwise."""
    if cache.snapshot is None:
        return None
    scan = scan_spec(spec_dir, cache.snapshot.spec)
    return Scope(scan, cache.snapshot) if scan is not None else None


def _touched(
    scan: SpecScan, snapshot: Snapshot, loaded: LoadedSpec, parsed: ParsedSpec
) -> frozenset[str] | None:
    """The tenants the changed files define now or defined before; None when a changed file
    holds anything else, when there are too many, or when one is also defined in a file
    that did not change (a whole compile says where)."""
    defined = tenants_by_file(loaded, scan.prefix)
    if any(defined.get(p, ()) is None for p in scan.changed):
        return None
    before = {t for p in scan.changed if p in snapshot.spec for t in snapshot.spec[p].tenants or ()}
    touched = before | set(parsed.tenants)
    if len(touched) > MAX_TENANTS:
        return None
    kept = {
        t
        for p, entry in snapshot.spec.items()
        if p in scan.present and p not in scan.changed
        for t in entry.tenants or ()
    }
    return None if set(parsed.tenants) & kept else frozenset(touched)


def _ties(tenant: Tenant) -> TenantTies:
    live = tenant.state != "deleted"
    return TenantTies(live, tenant.network_cidr if live else None)


def _names_its_stack(parsed: ParsedSpec, tenant: str) -> bool:
    """Whether a tenant's spec names its stack or moves it: the stack names of every tenant
    are checked together, and a move keeps the old home's nodes, so a whole compile
    decides."""
    doc = parsed.tenants.get(tenant)
    return doc is not None and (
        doc.model.spec.stack is not None or doc.model.spec.migration is not None
    )


def _stack_taken(previous: Previous, tenant: str) -> bool:
    """Whether the tenant's stack (by its default name) may be another tenant's, or the
    tenant had a stack of another name: a whole compile checks the names together."""
    record = previous.records.get(tenant_node(tenant))
    if record is None:
        return stack_node(default_stack(tenant)) in previous.records
    facts = record.tenant
    return facts is not None and (facts.stack is not None or facts.kept is not None)
