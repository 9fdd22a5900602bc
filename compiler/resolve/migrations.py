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

import re
from collections.abc import Mapping
from dataclasses import replace

from compiler.dsl import Parsed, Tenant
from compiler.homes import Confirmed, Home, KeptHome, move_kinds
from compiler.resolve import model
from compiler.resolve.baseline import Baseline
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


def keep_old_homes(
    ctx: Context,
    docs: Mapping[str, Parsed[Tenant]],
    tenants: list[model.Tenant],
    baseline: Mapping[str, Baseline],
    base_name: str,
) -> list[model.Tenant]:
    """`tenants`, each with the old home its migration keeps beside the new one (a home with
    a database of its own, until `retireOld: true`), and its stack name checked against the
    one it had: a stack is renamed only by such a migration, and must be."""
    out = []
    for tenant in tenants:
        before = baseline.get(tenant.name)
        doc = docs.get(tenant.name)
        if before is None or doc is None or tenant.state == "deleted" or before.stack is None:
            out.append(tenant)
            continue
        kept = _kept(ctx, doc, tenant, before, base_name)
        out.append(replace(tenant, kept=kept) if kept is not None else tenant)
    return out


def _kept(
    ctx: Context, doc: Parsed[Tenant], tenant: model.Tenant, before: Baseline, base_name: str
) -> KeptHome | None:
    move = tenant.migration
    assert before.stack is not None  # keep_old_homes passes only tenants it knows
    if before.kept is not None and tenant.stack == before.stack:
        if move is None or move.source != before.kept.home:
            ctx.error(
                doc,
                ("spec", "migration") if move is not None else ("spec",),
                f"the tenant's old home {before.kept.home} (stack {before.kept.stack}, in "
                f"{base_name}) is kept beside its home until the migration's second "
                "confirmation: without it the old home would be destroyed unconfirmed",
                f"write 'migration: {{from: {before.kept.home}, to: {tenant.home.key}, "
                "retireOld: true}' to retire it once the new home is in use",
            )
            return before.kept
        return None if move.retire_old else before.kept
    old = before.home
    moving = old is not None and old.isolation and move_kinds(old, tenant.home)
    own = old is not None and old.isolation in ("bridge", "silo")
    if tenant.stack == before.stack:
        confirmed = move is not None and old is not None and move.source == old.key
        if moving and own and confirmed and move is not None and move.target == tenant.home.key:
            ctx.error(
                doc,
                ("spec", "migration"),
                f"both homes would be stack {tenant.stack}: the new home is built beside the "
                f"old one, which keeps that stack and its database {before.stack} until it is "
                "retired, so the new home needs a stack of its own",
                f"add 'stack: {next_stack(tenant.name, before.stack)}' to the tenant's spec: "
                f"it names the new home's stack, database and cloud resources ({GUIDE})",
            )
        return None
    if not (moving and own and move is not None and old is not None):
        ctx.error(
            doc,
            ("spec", "stack") if doc.model.spec.stack is not None else ("spec",),
            f"the tenant's stack was {before.stack} (in {base_name}): renaming it would "
            "destroy it and build another in its place",
            f"write 'stack: {before.stack}'; a stack is renamed only by a migration out of "
            "a home with a database of its own, which keeps the old one beside it",
        )
        return None
    if move.source != old.key or move.retire_old:
        return None  # retired by this same change (or check_move has said what is wrong)
    return KeptHome(old.key, before.stack)


def next_stack(tenant: str, stack: str) -> str:
    """A stack name for a tenant's next home: `tenant-<tenant>-<n>`, n one more than the
    number its current stack ends in (2 after the first), the tenant's name cut to fit."""
    number = re.search(r"-(\d+)$", stack) if stack != f"tenant-{tenant}" else None
    suffix = f"-{int(number.group(1)) + 1 if number else 2}"
    return f"tenant-{tenant[: 40 - len(suffix)].rstrip('-')}{suffix}"


def check_stack_names(
    ctx: Context, docs: Mapping[str, Parsed[Tenant]], tenants: list[model.Tenant]
) -> None:
    """No two live tenants' stacks (or a kept one) by the same name: each stack is a
    Terraform state, a database and a set of cloud resources of its own."""
    owner: dict[str, str] = {}
    for tenant in sorted(tenants, key=lambda t: t.name):
        if tenant.state == "deleted":
            continue
        stacks = [tenant.stack] + ([tenant.kept.stack] if tenant.kept is not None else [])
        for stack in stacks:
            other = owner.setdefault(stack, tenant.name)
            if other != tenant.name and tenant.name in docs:
                ctx.error(
                    docs[tenant.name],
                    ("spec", "stack") if docs[tenant.name].model.spec.stack else ("spec",),
                    f"stack {stack} is tenant {other}'s already",
                    "give the tenant's stack another name with 'stack: tenant-<name>'",
                )
