"""Apply's part of a migration, after the waves have built the new home beside the old.

    create   the new home's database is there and reachable (the waves made it)
    copy     the tenant's rows copied and counted (`copy.py`)
    switch   the tenant's ACL and entitlements, held back from the waves, published now:
             what the application and agents read names the new home
    retire   with `retireOld: true` only: the old home retired, what is kept said

Each step is a journal entry of its own (`migration:<tenant>/<step>`, with the homes as its
digests), so `paybill apply --resume` continues a migration at the step that stopped and a
step done for another move is never taken for this one's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from compiler.errors import EnvironmentProblem, PaybillError
from compiler.moves import Migration
from compiler.operate.dsns import Dsns
from compiler.operate.journal import Journal, Outcome
from compiler.operate.migrations.copy import copy_tenant
from compiler.operate.migrations.retire import retire_pooled
from compiler.operate.sql_apply import database_missing
from compiler.records import NodeRecord
from compiler.sqlops.converge import load_state

FOLDER = "migrations"


@dataclass
class MigrationRun:
    """What the steps need from the apply that runs them."""

    generated: Path
    workdir: Path
    dsns: Dsns
    journal: Journal
    outputs: Callable[[str], Mapping[str, str]]  # a stack's outputs that fill a DSN's {host}
    publish: Callable[[str], str]  # publishes an ACL node's files
    teardown: Callable[[str], str]  # tears down a stack the migration retires


def step_node(move: Migration, step: str) -> str:
    return f"migration:{move.tenant}/{step}"


def retired_stacks(moves: Iterable[Migration]) -> set[str]:
    """The nodes of old homes with a stack of their own that the migrations retire: their
    retire step tears them down, not the teardown of nodes that left the output."""
    out = set()
    for move in moves:
        if move.retire and move.old_stack is not None:
            out |= {f"stack:{move.old_stack}", f"sql:{move.old_target}"}
    return out


def kept_homes(head: Mapping[str, NodeRecord]) -> set[str]:
    """The nodes of every old home kept beside a migration's new one: never applied, so the
    old home stays exactly as it was until the migration retires it (not even converged
    when the SQL every target shares changes)."""
    out = set()
    for record in head.values():
        kept = record.tenant.kept if record.tenant is not None else None
        if kept is not None:
            out |= {f"stack:{kept.stack}", f"sql:{kept.sql_target}"}
    return out


def held_back(moves: Iterable[Migration]) -> set[str]:
    """The nodes the waves leave to the migration: the switch publishes them."""
    return {f"acl:{m.tenant}" for m in moves if not m.moved_before}


def refusals(moves: Iterable[Migration]) -> list[str]:
    """Confirmed migrations this apply cannot run: refused whole, before anything starts."""
    return [
        f"tenant {m.tenant}'s migration from {m.source.key} to {m.target.key}: {reason}"
        for m in moves
        if m.confirmed and (reason := m.not_here()) is not None
    ]


def run_migration(run: MigrationRun, move: Migration) -> bool:
    """The migration's steps that are not done yet, in order; False when one failed (it
    and the steps after it are in the journal: `--resume` continues there)."""
    digests = {"from": move.source.key, "to": move.target.key}
    for step in move.steps():
        node = step_node(move, step.name)
        if run.journal.done(node, digests):
            continue
        try:
            outcome, message = _STEPS[step.name](run, move)
        except PaybillError as error:
            run.journal.record(node, "failed", str(error), digests)
            for later in move.steps()[move.steps().index(step) + 1 :]:
                run.journal.record(step_node(move, later.name), "not started", "", digests)
            return False
        run.journal.record(node, outcome, message, digests)
    return True


def _dsn(run: MigrationRun, target: str) -> str:
    dsn = run.dsns.for_target(target, run.outputs(target))
    if dsn is None:
        raise EnvironmentProblem(
            f"no DSN for database {target}: a migration reads and writes both homes' "
            "databases; give --dsn or a PAYBILL_DSN_FILE line for it"
        )
    if database_missing(dsn):
        raise EnvironmentProblem(f"database {target} does not exist: the new home was not made")
    return dsn.dsn


def _create(run: MigrationRun, move: Migration) -> tuple[Outcome, str]:
    _dsn(run, move.new_target)
    where = f"stack {move.new_stack}, " if move.new_stack else ""
    return "applied", f"new home {move.target.key} ready beside the old ({where}{move.new_target})"


def _copy(run: MigrationRun, move: Migration) -> tuple[Outcome, str]:
    state = load_state(run.generated, move.new_target)
    copied = copy_tenant(
        _dsn(run, move.old_target),
        _dsn(run, move.new_target),
        state.tables,
        state.tenant_column,
        move.tenant,
    )
    counts = ", ".join(f"{c.table} {c.source}={c.target}" for c in copied) or "no tables"
    return "applied", f"rows copied from {move.old_target} to {move.new_target}: {counts}"


def _switch(run: MigrationRun, move: Migration) -> tuple[Outcome, str]:
    return "applied", f"now in {move.target.key}: " + run.publish(f"acl:{move.tenant}")


def _retire(run: MigrationRun, move: Migration) -> tuple[Outcome, str]:
    if not move.retire:
        return "skipped", (
            f"the old home {move.source.key} is kept until the spec adds 'retireOld: true'"
        )
    if move.old_stack is not None:
        return "applied", f"stack {move.old_stack}: " + run.teardown(move.old_stack)
    state = load_state(run.generated, move.old_target)
    dump = run.workdir / FOLDER / move.tenant / f"{move.old_target}.sql"
    dsn = _dsn(run, move.old_target)
    return "applied", retire_pooled(dsn, state.tables, state.tenant_column, move.tenant, dump)


_STEPS: dict[str, Callable[[MigrationRun, Migration], tuple[Outcome, str]]] = {
    "create": _create,
    "copy": _copy,
    "switch": _switch,
    "retire": _retire,
}


def run_all(run: MigrationRun, moves: Iterable[Migration]) -> bool:
    """Every confirmed migration, one tenant after another; False when one stopped (the
    others still run: they are independent)."""
    results = [run_migration(run, m) for m in moves if m.confirmed]
    return all(results)
