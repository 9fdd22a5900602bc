"""The migration of each tenant that moves home, from the records alone.

A tenant moves when its home (`compiler.homes`) differs between the base's record and the
head's. A tenant whose home is unchanged but whose spec newly says `retireOld: true` for
the move it made before has one step left: its old home is retired. Both are read from the
tenant records, so plan and apply see the same migrations and need no spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from compiler.homes import STACK_NAME_PATTERN, move_kinds, parse_home
from compiler.moves import Migration
from compiler.operate.changeset import ChangeSet, NodeChange
from compiler.records import NodeRecord, TenantFacts


def migrations(changes: ChangeSet) -> list[Migration]:
    """Every migration of the change set, by tenant."""
    found = (_migration(c) for c in changes.of_kind("tenant"))
    return sorted((m for m in found if m is not None), key=lambda m: m.tenant)


def _migration(change: NodeChange) -> Migration | None:
    name = change.node.partition(":")[2]
    before = change.base.tenant if change.base else None
    after = change.head.tenant if change.head else None
    if not (_live(before) and _live(after)) or before is None or after is None:
        return None
    written = change.head.confirm.migration if change.head and change.head.confirm else None
    old, new = before.stack or "", after.stack or ""
    if move_kinds(before.home, after.home):
        return Migration(name, before.home, after.home, written, False, old, new)
    if written is None or not written.retire_old or written.target != after.home.key:
        return None
    earlier = change.base.confirm.migration if change.base and change.base.confirm else None
    if earlier is not None and earlier.retire_old and earlier.source == written.source:
        return None  # retired by an earlier change already
    if written.source == written.target:
        return None
    kept = before.kept
    if kept is not None and kept.home == written.source:
        old = kept.stack  # the old home the compile kept until now
    return Migration(name, parse_home(written.source), after.home, written, True, old, new)


def _stack(value: object) -> str:
    """A stack name as plan.json lists it ("": the default), only if a spec could name it."""
    return value if isinstance(value, str) and re.match(STACK_NAME_PATTERN, value) else ""


def _live(facts: TenantFacts | None) -> bool:
    return facts is not None and facts.state != "deleted" and facts.sql_target is not None


def from_plan(listed: object, head: Mapping[str, NodeRecord]) -> list[Migration]:
    """The confirmed migrations a saved plan lists (`plan.json`'s `migrations`), as the
    head's records confirm them: an apply of a reviewed plan runs those, not a change set
    computed again (its base may have moved on since: the merge)."""
    out = []
    for entry in listed if isinstance(listed, list) else []:
        if not isinstance(entry, dict):
            continue
        tenant, source, target = entry.get("tenant"), entry.get("from"), entry.get("to")
        record = head.get(f"tenant:{tenant}")
        confirm = record.confirm if record is not None else None
        if not (isinstance(source, str) and isinstance(target, str)) or confirm is None:
            continue
        move = Migration(
            str(tenant),
            parse_home(source),
            parse_home(target),
            confirm.migration,
            moved_before=not entry.get("kinds"),
            source_stack=_stack(entry.get("fromStack")),
            target_stack=_stack(entry.get("toStack")),
        )
        if move.confirmed:
            out.append(move)
    return out
