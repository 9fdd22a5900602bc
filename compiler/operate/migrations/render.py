"""Each migration as one block of the plan's summary: from, to, steps, what is kept, and
the confirmation to add (or that it is confirmed)."""

from __future__ import annotations

from compiler.moves import Migration
from compiler.operate.summary import Section, count, names


def block(move: Migration) -> list[str]:
    """A reviewer's whole view of one migration."""
    kinds = f" ({', '.join(move.kinds)})" if move.kinds else " (its retirement)"
    lines = [
        f"- **{move.tenant}**{kinds}: `{move.source.key}` → `{move.target.key}`",
        f"  - from: {move.source.key}, database `{move.old_target}`"
        + (f", stack `{move.old_stack}`" if move.old_stack else ""),
        f"  - to: {move.target.key}, database `{move.new_target}`"
        + (f", stack `{move.new_stack}`" if move.new_stack else ""),
        "  - steps:",
    ]
    lines += [f"    {i}. {step.text}" for i, step in enumerate(move.steps(), 1)]
    lines += [f"  - kept: {kept}" for kept in move.kept()]
    reason = move.not_here()
    if not move.confirmed:
        lines.append(
            f"  - ❌ refused until the spec confirms it (exit 1): add to `Tenant/{move.tenant} "
            f"spec`: `{move.wanted.block()}`"
        )
    elif reason is not None:
        lines.append(f"  - ❌ refused (exit 1): apply cannot run this migration here: {reason}")
    elif move.written is not None:
        lines.append(f"  - ✅ confirmed: `{move.written.block()}`")
    return lines


def section(moves: list[Migration]) -> Section:
    """Every migration, one block each; shorter: one line per migration, then a count."""
    lines = [line for move in moves for line in block(move)]
    short = [
        f"- **{m.tenant}**: `{m.source.key}` → `{m.target.key}`"
        + ("" if m.confirmed else f" — ❌ add `{m.wanted.block()}`")
        for m in moves
    ]
    tenants = [m.tenant for m in moves]
    counted = [f"- {count(len(tenants), 'migration')}: {names(tenants)}"]
    return Section("Migrations", lines, keep=True, shorter=[short, counted])
