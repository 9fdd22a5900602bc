"""A tenant's move to another home is a migration, and the spec confirms it by name.

A change of isolation, pool, cloud or region moves the tenant's data: never an in-place
update (a database cannot move across networks, regions or clouds). The tenant's spec says
so with `migration: {from: <old home>, to: <new home>}` (homes as `compiler.homes` writes
them), and `retireOld: true` as the second confirmation that lets apply retire the old home.

Checked twice: on its own (the block names the home the spec puts the tenant in, and a
move at all), and against the baseline (the tenant really moves, from the home it had).
Every message names the exact lines to write, so it never sends anyone around in a circle.
"""

from __future__ import annotations

from compiler.dsl import Parsed, Tenant
from compiler.homes import Confirmed, Home, move_kinds
from compiler.resolve import model
from compiler.resolve.context import Context

GUIDE = "docs/migrations.md"
# The field a reviewer changed to move the tenant, by kind of move, to point an error at.
_FIELD = {"isolation": "plan", "pool": "pool", "cloud": "cloud", "region": "region"}


def check_block(ctx: Context, doc: Parsed[Tenant], tenant: model.Tenant) -> None:
    """The `migration` block on its own: it must name the home the spec puts the tenant in,
    and a move (from another home)."""
    block = doc.model.spec.migration
    if block is None:
        return
    home = tenant.home.key
    if block.to != home:
        ctx.error(
            doc,
            ("spec", "migration", "to"),
            f"the migration confirms a move to {block.to}, but the spec puts the tenant in "
            f"{home}: it confirms a move the spec does not make",
            f"write 'to: {home}' if the tenant moves there, or remove the migration block",
        )
    elif block.from_ == block.to:
        ctx.error(
            doc,
            ("spec", "migration", "from"),
            f"the migration moves the tenant from {block.from_} to the same home",
            "write the home the tenant leaves in 'from', or remove the migration block",
        )


def check_new(ctx: Context, doc: Parsed[Tenant], base_name: str) -> None:
    """A tenant that is new (not in the baseline) has no old home to move from."""
    if doc.model.spec.migration is not None:
        ctx.error(
            doc,
            ("spec", "migration"),
            f"the tenant is new (not in {base_name}): it has no old home to move from, so "
            "the migration confirms a move the spec does not make",
            "remove the migration block",
        )


def check_move(
    ctx: Context, doc: Parsed[Tenant], old: Home | None, now: model.Tenant | None, base_name: str
) -> None:
    """A live tenant whose home changes needs `migration` naming both homes.

    Nothing to compare when the baseline's home is unknown (an older layout), the tenant's
    plan is unknown (it has its own error), or the tenant is deleted."""
    if now is None or old is None or now.state == "deleted" or not old.isolation:
        return
    kinds = move_kinds(old, now.home)
    block = doc.model.spec.migration
    if not kinds:
        return
    wanted = Confirmed(old.key, now.home.key)
    if block is not None and block.to == wanted.target and block.from_ == wanted.source:
        return
    if block is not None and block.to == wanted.target:
        ctx.error(
            doc,
            ("spec", "migration", "from"),
            f"the tenant lived in {old.key} (in {base_name}), not in {block.from_}",
            f"write 'from: {old.key}'",
        )
        return
    if block is not None:
        return  # check_block has said that `to` is not where the spec puts the tenant
    ctx.error(
        doc,
        ("spec", _FIELD[kinds[0]]) if _written(doc, _FIELD[kinds[0]]) else ("spec", "plan"),
        f"moving from {old.key} (in {base_name}) to {now.home.key} changes the tenant's "
        f"{_joined(kinds)}: a migration, which needs a reviewed confirmation",
        f"add '{wanted.block()}' to the tenant's spec and compile; then run 'paybill plan "
        "--base origin/main' (your base branch): it prints the whole migration, which 'paybill "
        "apply' runs once merged, keeping the old home until a second confirmation, "
        f"'retireOld: true', retires it ({GUIDE})",
    )


def _written(doc: Parsed[Tenant], key: str) -> bool:
    """Whether the spec writes `key` (a silo's `pool` or an implicit `cloud` is not)."""
    return getattr(doc.model.spec, key, None) is not None


def _joined(kinds: tuple[str, ...]) -> str:
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
