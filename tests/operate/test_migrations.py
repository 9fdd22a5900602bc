"""The migration planner: each kind of move read from the tenant records (isolation both
ways, pool, region, cloud), the retirement a later change confirms, and what the guard and
the summary say of them. No cloud, no database: records in, migrations out."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import cast

import pytest

from compiler.homes import Confirmed
from compiler.operate import guard
from compiler.operate.changeset import ChangeSet, NodeChange
from compiler.operate.migrations.planned import migrations
from compiler.operate.migrations.render import block, section
from compiler.operate.migrations.run import held_back, refusals, retired_stacks
from compiler.records import Confirm, NodeRecord, TenantFacts


def facts(
    isolation: str, pool: str | None, region: str = "eu-central-1", cloud: str = "aws"
) -> TenantFacts:
    target = "pool-" + str(pool) if isolation == "pooled" else "tenant-acme"
    return TenantFacts(
        "plan", isolation, region, pool, "active", "active", isolation != "pooled", target,
        cloud=cloud,
    )  # fmt: skip


def record(tenant: TenantFacts, move: Confirmed | None = None) -> NodeRecord:
    confirm = Confirm(migration=move) if move is not None else None
    return NodeRecord("tenant:acme", "tenant", "acme", (), 3, "0" * 64, (), tenant, (), confirm)


def changes(base: NodeRecord, head: NodeRecord) -> ChangeSet:
    """Only what the planner reads of a change set: its tenant changes."""
    found = {"tenant:acme": NodeChange("tenant:acme", "changed", base, head)}
    return cast(ChangeSet, SimpleNamespace(of_kind=lambda kind: list(found.values())))


# (before, after) -> (from, to, kinds)
MOVES = {
    "pooled-to-bridge": (
        facts("pooled", "eu-shared"),
        facts("bridge", "eu-shared"),
        ("pooled/eu-shared", "bridge/eu-shared", ("isolation",)),
    ),
    "bridge-to-pooled": (
        facts("bridge", "eu-shared"),
        facts("pooled", "eu-shared"),
        ("bridge/eu-shared", "pooled/eu-shared", ("isolation",)),
    ),
    "bridge-to-silo": (
        facts("bridge", "eu-shared"),
        facts("silo", None),
        ("bridge/eu-shared", "silo/aws/eu-central-1", ("isolation",)),
    ),
    "silo-to-pooled": (
        facts("silo", None),
        facts("pooled", "eu-shared"),
        ("silo/aws/eu-central-1", "pooled/eu-shared", ("isolation",)),
    ),
    "pool": (
        facts("pooled", "eu-shared"),
        facts("pooled", "eu-second"),
        ("pooled/eu-shared", "pooled/eu-second", ("pool",)),
    ),
    "bridge-pool": (
        facts("bridge", "eu-shared"),
        facts("bridge", "eu-second"),
        ("bridge/eu-shared", "bridge/eu-second", ("pool",)),
    ),
    "region": (
        facts("silo", None),
        facts("silo", None, region="us-east-1"),
        ("silo/aws/eu-central-1", "silo/aws/us-east-1", ("region",)),
    ),
    "cloud": (
        facts("silo", None),
        facts("silo", None, region="westeurope", cloud="azure"),
        ("silo/aws/eu-central-1", "silo/azure/westeurope", ("cloud", "region")),
    ),
}


@pytest.mark.parametrize("kind", sorted(MOVES))
def test_each_kind_of_move_is_a_migration_refused_until_confirmed(kind: str) -> None:
    before, after, (source, target, kinds) = MOVES[kind]
    [move] = migrations(changes(record(before), record(after)))
    assert (move.source.key, move.target.key, move.kinds) == (source, target, kinds)
    assert [s.name for s in move.steps()] == ["create", "copy", "switch", "retire"]
    [item] = guard.destructive_items([], [move], {}, {})
    assert item.to_json() == {
        "node": "tenant:acme",
        "what": f"tenant acme moves from {source} to {target} ({', '.join(kinds)}): a migration",
        "confirmIn": "Tenant/acme spec",
        "confirmation": f"migration: {{from: {source}, to: {target}}}",
        "confirmed": False,
    }
    confirmed = Confirmed(source, target)
    [move] = migrations(changes(record(before), record(after, confirmed)))
    assert move.confirmed
    # Confirmed, it goes through unless apply cannot run it here (then plan refuses it too).
    [item] = guard.destructive_items([], [move], {}, {})
    assert item.confirmed == (move.not_here() is None)


def test_a_confirmation_of_another_move_does_not_confirm_this_one() -> None:
    before, after, _ = MOVES["region"]
    wrong = Confirmed("silo/aws/eu-central-1", "silo/aws/eu-west-1")
    [move] = migrations(changes(record(before), record(after, wrong)))
    assert not move.confirmed
    assert "❌ refused until the spec confirms it (exit 1)" in "\n".join(block(move))


def test_a_plan_edit_that_keeps_the_home_is_no_migration() -> None:
    unchanged = facts("bridge", "eu-shared")
    assert migrations(changes(record(unchanged), record(unchanged))) == []


def test_the_retirement_confirmed_later_is_the_one_step_left() -> None:
    """The move applied in an earlier change; `retireOld: true` added now: only the
    retirement runs, and once the base carries it too there is nothing left."""
    home = facts("bridge", "eu-shared")
    first = Confirmed("pooled/eu-shared", "bridge/eu-shared")
    second = Confirmed("pooled/eu-shared", "bridge/eu-shared", retire_old=True)
    [move] = migrations(changes(record(home, first), record(home, second)))
    assert (move.moved_before, move.retire, move.kinds) == (True, True, ())
    assert [s.name for s in move.steps()] == ["retire"]
    assert move.kept() == [
        "a dump of the tenant's rows in pool-eu-shared, taken before they are deleted: "
        "migrations/acme/pool-eu-shared.sql in the working folder"
    ]
    assert held_back([move]) == set()  # its ACL switched with the move itself
    [item] = guard.destructive_items([], [move], {}, {})
    assert (item.what, item.confirmed) == (
        "tenant acme's old home pooled/eu-shared is retired",
        True,
    )
    assert migrations(changes(record(home, second), record(home, second))) == []


def test_the_old_home_is_kept_until_the_second_confirmation() -> None:
    before, after, _ = MOVES["pooled-to-bridge"]
    kept = Confirmed("pooled/eu-shared", "bridge/eu-shared")
    [move] = migrations(changes(record(before), record(after, kept)))
    assert move.kept() == [
        "the old home pooled/eu-shared (the tenant's rows in the pool's database "
        "pool-eu-shared), untouched, until the spec adds 'retireOld: true' to its migration "
        "block"
    ]
    assert move.steps()[3].text == (
        "retire the old home pooled/eu-shared: the tenant's rows deleted from pool-eu-shared "
        "after a dump of them, only after the second confirmation, 'retireOld: true'"
    )
    assert held_back([move]) == {"acl:acme"}


SAME_NAMES = (
    "both homes are stack tenant-acme and database tenant-acme: the new home cannot be built "
    "beside the old under the same names (apply never updates a home in place); the tenant's "
    "spec must name the new home's stack with 'stack:'"
)


@pytest.mark.parametrize(
    ("kind", "renamed", "reason"),
    [
        ("pooled-to-bridge", False, None),
        ("pool", False, None),
        ("bridge-to-silo", True, None),
        ("silo-to-pooled", True, None),
        ("region", True, None),
        ("bridge-pool", True, None),
        ("cloud", True, None),
        ("bridge-pool", False, SAME_NAMES),
        ("region", False, SAME_NAMES),
        ("bridge-to-silo", False, SAME_NAMES),
        ("silo-to-pooled", False, SAME_NAMES),
    ],
)
def test_apply_runs_a_move_beside_the_old_home_only_under_other_names(
    kind: str, renamed: bool, reason: str | None
) -> None:
    before, after, (source, target, _) = MOVES[kind]
    if renamed:  # the spec's `stack: tenant-acme-2` names the new home
        own = after.isolation != "pooled"
        after = replace(
            after, stack="tenant-acme-2", sql_target="tenant-acme-2" if own else after.sql_target
        )
    [move] = migrations(changes(record(before), record(after, Confirmed(source, target))))
    assert move.not_here() == reason
    expected = (
        [] if reason is None else [f"tenant acme's migration from {source} to {target}: {reason}"]
    )
    assert refusals([move]) == expected
    shown = "\n".join(block(move))
    refused = f"❌ refused (exit 1): apply cannot run this migration here: {reason}"
    assert (refused in shown) == (reason is not None)
    assert ("✅ confirmed" in shown) == (reason is None)
    if renamed and after.isolation != "pooled":
        assert move.new_stack == move.new_target == "tenant-acme-2"
        assert "stack tenant-acme-2 with its own database tenant-acme-2" in move.steps()[0].text
    if move.old_stack is not None and reason is None:
        assert move.old_stack == "tenant-acme"
        assert retired_stacks([replace(move, written=replace(move.wanted, retire_old=True))]) == {
            "stack:tenant-acme",
            "sql:tenant-acme",
        }
        assert retired_stacks([move]) == set()  # kept until retireOld
    [item] = guard.destructive_items([], [move], {}, {})
    if reason is not None:
        assert item.to_json() == {
            "node": "tenant:acme",
            "what": f"tenant acme moves from {source} to {target} ({', '.join(move.kinds)}): a "
            f"migration that apply cannot run in this version ({reason})",
            "confirmIn": "Tenant/acme spec",
            "confirmation": "nothing allows it in this version (docs/migrations.md)",
            "confirmed": False,
        }
    else:
        assert item.confirmed


def test_a_migration_left_in_the_spec_is_listed_as_no_longer_needed() -> None:
    home = facts("bridge", "eu-shared")
    left = record(home, Confirmed("pooled/eu-shared", "bridge/eu-shared", retire_old=True))
    assert guard.unused_confirmations([], {"tenant:acme": left}) == [
        "Tenant/acme spec: migration from pooled/eu-shared to bridge/eu-shared matches no "
        "planned change (remove it once the migration and its retirement are applied)"
    ]


def test_a_long_list_of_migrations_gives_way_to_one_line_each_then_a_count() -> None:
    before, after, _ = MOVES["pooled-to-bridge"]
    [move] = migrations(changes(record(before), record(after)))
    found = section([move])
    assert found.title == "Migrations"
    assert found.shorter == [
        [
            "- **acme**: `pooled/eu-shared` → `bridge/eu-shared` — ❌ add `migration: "
            "{from: pooled/eu-shared, to: bridge/eu-shared}`"
        ],
        ["- 1 migration: acme"],
    ]


def test_a_named_stack_left_unjudged_keeps_its_confirm_destroy_out_of_the_list() -> None:
    """`confirmDestroy` on a tenant whose spec names its stack belongs to that stack: when
    the stack was not planned here, its confirmation is not called unused."""
    named = replace(facts("silo", None), stack="tenant-acme-2", sql_target="tenant-acme-2")
    confirm = Confirm(destroy=("aws_s3_bucket.data",))
    record = NodeRecord("tenant:acme", "tenant", "acme", (), 3, "0" * 64, (), named, (), confirm)
    head = {"tenant:acme": record}
    assert guard.unused_confirmations([], head, unjudged=["tenant-acme-2"]) == []
    assert guard.unused_confirmations([], head, unjudged=["tenant-acme"]) == [
        "Tenant/acme spec: confirmDestroy aws_s3_bucket.data matches no planned change"
    ]
