"""A plan change that changes the tenant's home (its isolation, and with it where its data
lives) is a migration: proposed, never applied on its own. The edit is made without any
confirmation, so `paybill compile` and `paybill plan` refuse it until reviewers add the
`migration` block this paragraph of the pull request names. The migration is planned by
the planner every side uses (`compiler.moves`): the same homes, steps and confirmation as
the compiler's message and `paybill plan`'s summary (gitops.md, Migrations)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from compiler.moves import Migration
from compiler.pipeline import parse_folder
from compiler.records import RecordError, parse_record, record_path
from compiler.resolve import baseline_of
from compiler.resolve.migrations import next_stack


def planned_move(spec_dir: Path, generated: Path, tenant: str) -> Migration | None:
    """The migration the spec as edited makes: the tenant's home in the last compiled output
    (its record) against its home in the spec. None when either is unknown or they agree."""
    path = record_path(f"tenant:{tenant}")
    try:
        record = parse_record(path, (generated / path).read_bytes())
    except (OSError, RecordError):
        return None
    after = baseline_of(parse_folder(spec_dir)).get(tenant)
    if record.tenant is None or after is None or after.home is None:
        return None
    old_stack = record.tenant.stack or ""
    move = Migration(tenant, record.tenant.home, after.home, None, False, old_stack, "")
    if move.old_stack is not None:  # the new home is built beside the old: another name
        move = replace(move, target_stack=next_stack(tenant, move.old_stack_name))
    return move if move.kinds else None


def migration_note(
    tenant: str, change: tuple[str, str], refusal: str | None, move: Migration | None = None
) -> str:
    """The pull request's paragraph on a migration. `refusal` is what the compiler says
    against the edit (then the commit holds the spec edit alone); None when it compiles.
    `move` is the planned migration, when the homes are known."""
    old, new = change
    lines = [
        f"**This is a migration.** Tenant `{tenant}` moves from a {old} plan to a {new} one: "
        "its data moves to another home. The change is proposed without any confirmation; "
        "review it as a migration (docs/migrations.md).",
    ]
    if move is not None:
        lines += ["", f"From `{move.source.key}` to `{move.target.key}`, in this order:", ""]
        lines += [f"{i}. {step.text}" for i, step in enumerate(move.steps(), 1)]
        lines += [
            "",
            f"To confirm it, add to the tenant's spec `{move.wanted.block()}`"
            + (
                f" and `stack: {move.new_stack_name}` (the new home's stack, beside the old "
                f"one, {move.old_stack_name}, until it is retired)"
                if move.old_stack is not None
                else ""
            )
            + "; once it is applied and checked, a second confirmation, `retireOld: true` in "
            "that block, retires the old home.",
        ]
    if refusal:
        lines += [
            "",
            "`paybill compile` and `paybill plan` refuse it until a reviewer adds that "
            "confirmation; the compiler says:",
            "",
            "```",
            refusal,
            "```",
            "",
            "`generated/` is therefore not regenerated in this commit.",
        ]
    else:
        lines += [
            "",
            "The compiler accepts the edit and `generated/` is regenerated; `paybill plan` "
            "refuses the migration until the spec confirms it.",
        ]
    return "\n".join(lines)
