"""`paybill apply`: the compiled output applied in the records' waves.

What is applied:
* with `--plan PLAN_DIR`, what the reviewed plan covered — refused when any of those nodes'
  files changed since (a stale plan); the saved Terraform plans are applied as they are;
* with `--base REV|DIR`, the change set against that base (planned now);
* with neither, every node (a first deployment, or repairing drift).

In wave order; within a wave up to `jobs` nodes at a time. A stack runs Terraform in its
working copy; SQL targets converge once per wave, after the stack that makes their database
(an earlier wave), each with the SQL runtime they share (whose own node has nothing to
apply); ACL files are published in their (last) wave. A failure lets the running
nodes finish and starts no further wave: exit 4, with the journal saying what is left for
`--resume`. Nodes that left the output are torn down last, dependants first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson
from psycopg.conninfo import conninfo_to_dict

from compiler.errors import EnvironmentProblem, PaybillError
from compiler.graph import NOTHING_TO_APPLY, PlatformGraph, graph_from_records
from compiler.moves import Migration
from compiler.operate import guard
from compiler.operate.changeset import ChangeSet, change_set
from compiler.operate.dsns import Dsns
from compiler.operate.journal import Journal
from compiler.operate.migrations import run as migrating
from compiler.operate.migrations.planned import from_plan, migrations
from compiler.operate.planning import PLAN_VERSION, EmptySource
from compiler.operate.publish import Destination, destination, published_path
from compiler.operate.sources import FolderSource, Source, open_base, reopen
from compiler.operate.sql_apply import converge
from compiler.operate.stack_apply import Refused, StackRun, apply_stack, teardown_stack
from compiler.operate.stacks import longest_first
from compiler.records import NodeRecord, read_records

EXIT_APPLIED, EXIT_REFUSED, EXIT_PARTIAL = 0, 1, 4
JOURNAL_NAME = "journal.json"


@dataclass(frozen=True)
class ApplyOptions:
    generated: Path
    base: str | None = None
    plan: Path | None = None
    jobs: int = 2
    tf_override: Path | None = None
    dsns: Dsns = field(default_factory=Dsns)
    workdir: Path = Path(".paybill/work")
    resume: bool = False
    wave: int | None = None
    only: tuple[str, ...] = ()
    acl_dir: Path | None = None


@dataclass
class ApplyResult:
    journal: Journal
    waves: list[list[str]]
    removed: list[str]
    stopped_after: int | None  # the wave after which nothing more started
    refused: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.refused:
            return EXIT_REFUSED
        outcomes = {e.outcome for e in self.journal.entries.values()}
        return EXIT_PARTIAL if outcomes & {"failed", "not started"} else EXIT_APPLIED


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _digests(record: NodeRecord | None) -> dict[str, str]:
    return {a.path: a.sha256 for a in record.artifacts} if record else {}


@dataclass(frozen=True)
class Reviewed:
    """What a saved plan covered."""

    nodes: set[str]  # to apply
    removed: set[str]  # to tear down
    refused: list[str]  # destructive items it found unconfirmed
    files: dict[str, list[str]]  # what the removed nodes had
    base: object  # where it was compared with (`sources.reopen`)
    migrations: list[Migration] = field(default_factory=list)  # confirmed, to run


def _from_plan(plan_dir: Path, head: Mapping[str, NodeRecord]) -> Reviewed:
    """What a reviewed plan folder covers; a stale plan (a node whose files changed since
    it was made) is refused."""
    path = plan_dir / "plan.json"
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise EnvironmentProblem(f"--plan {plan_dir}: {path} cannot be read ({exc})") from None
    if not isinstance(data, dict) or data.get("schemaVersion") != PLAN_VERSION:
        raise EnvironmentProblem(f"--plan {plan_dir}: {path} is not a {PLAN_VERSION} plan")
    stale = sorted(
        node
        for node, digests in (data.get("planned") or {}).items()
        if _digests(head.get(node)) != digests
    )
    if stale:
        raise Refused(
            "(plan)",
            reason=f"the plan in {plan_dir} is stale: {', '.join(stale)} changed since it was "
            "made; plan again",
        )
    listed = data.get("nodes") or {}
    nodes = {n for n, c in listed.items() if c.get("change") != "removed"}
    nodes |= set(data.get("downstream") or [])
    removed = {n for n, c in listed.items() if c.get("change") == "removed"}
    return Reviewed(
        nodes=nodes,
        removed=removed,
        refused=[
            f"{d['what']}; add to {d['confirmIn']}: {d['confirmation']}"
            for d in data.get("destructive") or []
            if isinstance(d, dict) and not d.get("confirmed")
        ],
        files={n: [str(f.get("path")) for f in listed[n].get("files") or []] for n in removed},
        base=data.get("baseSource"),
        migrations=from_plan(data.get("migrations"), head),
    )


class Applier:
    """One apply run: what it applies, how, and its journal."""

    def __init__(self, options: ApplyOptions, head_records: dict[str, NodeRecord]) -> None:
        self.options = options
        self.head_records = head_records
        self.graph: PlatformGraph = graph_from_records(head_records)
        self.journal = Journal.open(options.workdir / JOURNAL_NAME, resume=options.resume)
        self.base_records: dict[str, NodeRecord] = {}
        self._stacks: StackRun | None = None
        self._acl: Destination | None = None
        self.head = FolderSource(options.generated)
        self.base: Source | None = None
        self.saved: set[str] = set()  # stacks whose reviewed plan is saved in --plan
        self.removed_files: dict[str, list[str]] = {}  # what nodes that left the output had

    # -- node kinds -------------------------------------------------------------------
    def stacks(self) -> StackRun:
        if self._stacks is None:
            from compiler.terraform import Terraform, Workspace  # noqa: PLC0415

            if self.options.tf_override is not None and not self.options.tf_override.is_file():
                raise EnvironmentProblem(f"--tf-override {self.options.tf_override}: no such file")
            self._stacks = StackRun(
                terraform=Terraform(),
                workspace=Workspace(self.options.workdir),
                override=self.options.tf_override,
                head=self.head.read,
                base=self.base.read if self.base is not None else None,
                head_records=self.head_records,
                base_records=self.base_records,
                saved=self.options.plan,
                saved_stacks=frozenset(self.saved),
            )
        return self._stacks

    def acl(self) -> Destination:
        if self._acl is None:
            self._acl = destination(
                self.options.generated, self.options.workdir, self.options.acl_dir
            )
        return self._acl

    def outputs(self, target: str) -> dict[str, str]:
        """A database's address, from the outputs of the stack that made it (same name)."""
        run = self.stacks()
        try:
            copy = run.workspace.copy(target)
        except FileNotFoundError:
            return {}
        found = run.terraform.output(copy)
        address = found.get("database_address")
        return {"host": str(address.value)} if address is not None else {}

    def sql_targets(self, node: str) -> list[str]:
        kind, _, name = node.partition(":")
        if kind == "sql":
            return [name]
        targets = []
        for records in (self.head_records, self.base_records):
            record = records.get(node)
            if record is not None and record.tenant is not None and record.tenant.sql_target:
                targets.append(record.tenant.sql_target)
        return sorted(set(targets) & self._live_targets())

    def runtime_message(self) -> str:
        """The SQL runtime is no database of its own: each target that uses it applies it
        (they come after it in the graph, and a change to it makes every one of them part
        of the change)."""
        targets = len(self._live_targets())
        return f"the SQL every target shares: applied by each of the {targets} SQL targets"

    def _live_targets(self) -> set[str]:
        return {n.partition(":")[2] for n in self.head_records if n.startswith("sql:")}

    def migration_run(self) -> migrating.MigrationRun:
        def outputs(target: str) -> dict[str, str]:
            return self.outputs(target) if self.options.dsns.template else {}

        return migrating.MigrationRun(
            self.options.generated,
            self.options.workdir,
            self.options.dsns,
            self.journal,
            outputs,
            self.publish,
            lambda stack: teardown_stack(self.stacks(), stack, retired=True),
        )

    def publish(self, node: str) -> str:
        record = self.head_records[node]
        target = self.acl()
        for artifact in record.artifacts:
            content = self.head.read(artifact.path)
            if content is None:
                raise EnvironmentProblem(
                    f"{artifact.path} is missing from {self.options.generated}"
                )
            target.put(published_path(artifact.path), content)
        return f"published {len(record.artifacts)} file(s) to {target.label}"

    def unpublish(self, paths: list[str]) -> str:
        target = self.acl()
        for path in paths:
            target.delete(published_path(path))
        return f"removed {len(paths)} file(s) from {target.label}"

    # -- a wave ---------------------------------------------------------------------------
    def run_wave(self, nodes: list[str]) -> bool:
        """Apply one wave's nodes; False when one failed (the others still finish).

        The wave's SQL targets converge while its stacks run (a target's database was made
        by an earlier wave; no stack of this one needs it). The queue holds the stacks,
        longest first (they take minutes), then the converges (seconds each), then the
        other nodes: a SQL node waits for its target's converge, which was taken from the
        queue before it, so it never waits for a converge that has no worker."""
        targets = sorted({t for n in nodes for t in self.sql_targets(n)})
        converging: dict[str, Future[dict[str, tuple[str, str]]]] = {}

        def one(node: str, background: bool = False) -> bool:
            digests = _digests(self.head_records.get(node))
            kind = node.partition(":")[0]
            try:
                if kind in NOTHING_TO_APPLY:
                    message = "nothing to apply: a module is applied through its stacks"
                elif kind == "stack":
                    run = self.stacks()
                    if background:
                        run = replace(run, terraform=run.terraform.in_background())
                    message = apply_stack(run, node.partition(":")[2])
                elif kind == "runtime":
                    message = self.runtime_message()
                elif kind in ("sql", "tenant"):
                    parts = [converging[t].result()[t] for t in self.sql_targets(node)]
                    message = "; ".join(m for _, m in parts) or "nothing to converge (a record)"
                    outcomes = {o for o, _ in parts}
                    if "failed" in outcomes:
                        self.journal.record(node, "failed", message, digests)
                        return False
                    if "skipped" in outcomes:
                        self.journal.record(node, "skipped", message, digests)
                        return True
                else:
                    message = self.publish(node)
            except Refused as refused:
                self.journal.record(node, "refused", str(refused), digests)
                return False
            except PaybillError as error:
                self.journal.record(node, "failed", str(error), digests)
                return False
            self.journal.record(node, "applied", message, digests)
            return True

        stacks = longest_first(
            [n.partition(":")[2] for n in nodes if n.partition(":")[0] == "stack"], self.head.read
        )
        # The longest stacks end the wave: one per core runs at full priority, the others
        # in the background, so they plan and start first instead of sharing the cores with
        # every small stack of the wave (which then run while those wait on the cloud).
        foreground = set(stacks[: _cores()])
        with ThreadPoolExecutor(max(1, self.options.jobs)) as pool:
            running = [pool.submit(one, f"stack:{s}", s not in foreground) for s in stacks]
            for group in self._by_server(targets):
                future = pool.submit(self._converge_serially, group)
                converging.update(dict.fromkeys(group, future))
            running += [pool.submit(one, n) for n in nodes if n.partition(":")[0] != "stack"]
            results = [r.result() for r in running]
        return all(results)

    def _by_server(self, targets: list[str]) -> list[list[str]]:
        """Targets grouped by the database server they are on. Roles are per server (a
        cluster), and several targets on one server (a sandbox, a shared instance) share
        the owner role: their converges run one after the other."""
        groups: dict[str, list[str]] = {}
        for target in targets:
            dsn = self.options.dsns.for_target(target)
            key = target
            if dsn is not None:
                params = conninfo_to_dict(dsn.dsn)
                key = f"{params.get('host')}:{params.get('port')}:{params.get('hostaddr')}"
            groups.setdefault(key, []).append(target)
        return list(groups.values())

    def _converge_serially(self, targets: list[str]) -> dict[str, tuple[str, str]]:
        return {target: self._converge_target(target) for target in targets}

    def _converge_target(self, target: str) -> tuple[str, str]:
        """("applied" | "skipped" | "failed", what happened); recorded on the target's nodes."""
        try:
            done, message = converge(
                self.options.generated, target, self.options.dsns, self.outputs
            )
        except PaybillError as error:
            return "failed", f"{target}: {error}"
        return ("applied" if done else "skipped"), message


def apply(options: ApplyOptions) -> ApplyResult:
    head_records = read_records(options.generated)
    applier = Applier(options, head_records)
    base: Source = EmptySource()
    removed: set[str] = set()
    refused: list[str] = []
    moving: list[Migration] = []
    if options.plan is not None:
        reviewed = _from_plan(options.plan, head_records)
        nodes, removed, refused = reviewed.nodes, reviewed.removed, reviewed.refused
        moving = reviewed.migrations
        applier.removed_files = reviewed.files
        applier.saved = {n.partition(":")[2] for n in nodes if n.startswith("stack:")}
        base = reopen(reviewed.base) or EmptySource()
    elif options.base is not None:
        base = open_base(options.base, options.generated)
        changes = change_set(base, applier.head, head_records)
        nodes = {n for n, c in changes.changes.items() if c.change != "removed"}
        nodes |= set(changes.downstream)
        removed = {n for n, c in changes.changes.items() if c.change == "removed"}
        applier.base_records = {n: c.base for n, c in changes.changes.items() if c.base}
        applier.removed_files = {
            n: [p for _, p in c.files] for n, c in changes.changes.items() if c.change == "removed"
        }
        refused = _data_moves(changes, head_records)
        moving = [m for m in migrations(changes) if m.confirmed]
    else:
        nodes = set(head_records)
    if removed and not applier.base_records:
        applier.base_records = _base_records(base, removed)
    refused += migrating.refusals(moving)
    applier.base = base if not isinstance(base, EmptySource) else None
    if options.only:
        nodes, removed = _only(options, head_records, nodes, removed)
    held = migrating.held_back(moving) | migrating.kept_homes(head_records)
    waves = [[n for n in wave if n in nodes and n not in held] for wave in applier.graph.waves()]
    if options.wave is not None:
        waves = [w if i == options.wave else [] for i, w in enumerate(waves)]
        removed = set()
    result = ApplyResult(applier.journal, waves, sorted(removed), None, refused)
    if refused:
        return result
    for index, wave in enumerate(waves):
        todo = [n for n in wave if not applier.journal.done(n, _digests(head_records.get(n)))]
        if not todo:
            continue
        if not applier.run_wave(todo):
            result.stopped_after = index
            later = [n for w in waves[index + 1 :] for n in w] + sorted(removed)
            for node in later:
                applier.journal.record(
                    node, "not started", f"wave {index} failed", _digests(head_records.get(node))
                )
            return result
    if not _migrate(applier, moving, len(waves)):
        result.stopped_after = len(waves) - 1
        return result
    _teardown(applier, removed - migrating.retired_stacks(moving))
    return result


def _only(
    options: ApplyOptions, head: Mapping[str, NodeRecord], nodes: set[str], removed: set[str]
) -> tuple[set[str], set[str]]:
    """`--only`: those nodes of the apply (every one of them must exist)."""
    unknown = sorted(set(options.only) - set(head) - removed)
    if unknown:
        raise EnvironmentProblem(
            f"--only: no such node in {options.generated}: {', '.join(unknown)}"
        )
    return nodes & set(options.only), removed & set(options.only)


def _migrate(applier: Applier, moves: list[Migration], waves: int) -> bool:
    """The migrations' own steps, once the waves have built the new homes: run by the apply
    that covers the last wave (a whole apply, or the last of a fanned-out one)."""
    options = applier.options
    if options.only or options.wave not in (None, waves - 1):
        return True
    return migrating.run_all(applier.migration_run(), moves)


def _data_moves(changes: ChangeSet, head: Mapping[str, NodeRecord]) -> list[str]:
    items = guard.destructive_items([], migrations(changes), head, {})
    return [f"{i.what}; add to {i.owner}: {i.confirmation}" for i in items if not i.confirmed]


def _base_records(base: Source, nodes: Iterable[str]) -> dict[str, NodeRecord]:
    from compiler.records import parse_record, record_path  # noqa: PLC0415

    out = {}
    for node in nodes:
        for wanted in (node, f"tenant:{node.partition(':')[2].removeprefix('tenant-')}"):
            content = base.read(record_path(wanted))
            if content is not None:
                out[wanted] = parse_record(record_path(wanted), content)
    return out


def _teardown(applier: Applier, removed: Iterable[str]) -> None:
    """Nodes that left the output, dependants first: ACLs unpublished, then stacks torn down
    (a removed tenant's roles went with its target's converge)."""
    order = {"acl": 0, "cedar": 0, "tenant": 1, "sql": 2, "runtime": 2, "stack": 3, "module": 4}
    for node in sorted(removed, key=lambda n: (order.get(n.partition(":")[0], 9), n)):
        kind, _, name = node.partition(":")
        try:
            if kind in NOTHING_TO_APPLY:
                message = "nothing to do: a module has nothing of its own to tear down"
            elif kind in ("acl", "cedar"):
                message = applier.unpublish(applier.removed_files.get(node, []))
            elif kind == "stack":
                message = teardown_stack(applier.stacks(), name)
            elif kind == "runtime":
                message = "nothing to do: no SQL target uses it any more"
            else:
                message = "nothing to do: its database goes with its stack"
        except Refused as refused:
            applier.journal.record(node, "refused", str(refused), {})
            continue
        except PaybillError as error:
            applier.journal.record(node, "failed", str(error), {})
            continue
        applier.journal.record(node, "applied", message, {})


Progress = Callable[[str], None]
