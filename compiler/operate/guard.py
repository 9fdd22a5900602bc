"""The destructive-change guard: nothing that destroys or moves data goes through unconfirmed.

An item is destructive when a planned change would:
* delete or replace a data-bearing resource (a database instance, a bucket, a key, a lock
  table: what `compiler.terraform.changes.DATA_BEARING_TYPES` lists) — known only from a
  Terraform plan;
* move a tenant to another home (a change of isolation, pool, cloud or region: a
  migration, `compiler.operate.migrations`) — known from the tenant records.

Each item names the exact confirmation that allows it, written in the spec where reviewers
see it: `confirmDestroy: [<address>]` on the tenant (its own stack) or on the pool (the
pool's stack), the address as the spec writes it, within the stack's module
(`aws_db_instance.database` for Terraform's `module.tenant.aws_db_instance.database`);
`migration: {from: <home>, to: <home>}` on the tenant (and `retireOld: true` to retire the
old home). A tenant being deleted
with `confirmDataDeletion` confirms the deletion of its own stack's resources. The compiler
writes the confirmations into the node records, so the guard reads only `generated/`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compiler.homes import default_stack
from compiler.moves import Migration
from compiler.operate.protection import spec_address
from compiler.records import Confirm, NodeRecord, stack_tenants


@dataclass(frozen=True)
class Destructive:
    node: str  # the node the change is applied through
    what: str  # for people
    owner: str  # "Tenant/<name>" or "Platform pool <name>": where the confirmation goes
    confirmation: str  # the exact spec line(s) that allow it
    confirmed: bool

    def to_json(self) -> dict[str, object]:
        return {
            "node": self.node,
            "what": self.what,
            "confirmIn": self.owner,
            "confirmation": self.confirmation,
            "confirmed": self.confirmed,
        }


@dataclass(frozen=True)
class ResourceLoss:
    """A planned delete or replacement of a data-bearing resource in a stack."""

    stack: str
    address: str  # as Terraform names it
    action: str  # "delete" | "replace"

    @property
    def spec_address(self) -> str:
        """As the spec's `confirmDestroy` names it."""
        return spec_address(self.address)


def _owner(stack: str, stacks: Mapping[str, str]) -> tuple[str, str, str]:
    """(record node holding the confirmation, where it goes in the spec, its kind), by
    `stacks` (stack name -> tenant, `compiler.records.stack_tenants`)."""
    if stack.startswith("pool-"):
        pool = stack.removeprefix("pool-")
        return f"stack:{stack}", f"Platform spec.pools[{pool}]", "pool"
    tenant = stacks.get(stack, stack.removeprefix("tenant-"))
    return f"tenant:{tenant}", f"Tenant/{tenant} spec", "tenant"


def retired_home(stack: str, node: str, head: Mapping[str, NodeRecord]) -> bool:
    """Whether `stack` is the old home the tenant of `node` retires with `retireOld: true`
    (a stack of its that is no longer its stack)."""
    record = head.get(node)
    if record is None or record.tenant is None or record.confirm is None:
        return False
    move = record.confirm.migration
    current = record.tenant.stack or default_stack(record.name)
    return move is not None and move.retire_old and stack != current


def _confirm(records: Mapping[str, NodeRecord], node: str) -> Confirm:
    record = records.get(node)
    return record.confirm if record is not None and record.confirm is not None else Confirm()


def destructive_items(
    losses: Iterable[ResourceLoss],
    moves: Iterable[Migration],
    head: Mapping[str, NodeRecord],
    base: Mapping[str, NodeRecord],
) -> list[Destructive]:
    """Every destructive item, confirmed or not. `head` and `base` are the records that say
    what is confirmed (a deleted tenant's confirmation is in the head; a removed stack's
    tenant may only be in the base)."""
    items = []
    stacks = {**stack_tenants(base), **stack_tenants(head)}  # head's names win
    for loss in losses:
        node, owner, _ = _owner(loss.stack, stacks)
        confirm = _confirm(head, node) or _confirm(base, node)
        deleted = confirm.data_deletion and loss.stack.startswith("tenant-")
        deleted = deleted or retired_home(loss.stack, node, head)
        address = loss.spec_address
        items.append(
            Destructive(
                node=f"stack:{loss.stack}",
                what=f"{loss.action} {address} in stack {loss.stack}",
                owner=owner,
                confirmation=f"confirmDestroy: [{address}]",
                confirmed=deleted or address in confirm.destroy,
            )
        )
    for move in moves:
        items.append(_migration_item(move))
    return sorted(items, key=lambda i: (i.confirmed, i.node, i.what))


def _migration_item(move: Migration) -> Destructive:
    """A migration: refused until the spec names it; a retirement is confirmed by the
    `retireOld` that makes it one."""
    if move.moved_before:
        what = f"tenant {move.tenant}'s old home {move.source.key} is retired"
        block = move.written.block() if move.written else move.wanted.block()
    else:
        kinds = ", ".join(move.kinds)
        what = (
            f"tenant {move.tenant} moves from {move.source.key} to {move.target.key} "
            f"({kinds}): a migration"
        )
        block = move.wanted.block()
    reason = move.not_here() if move.confirmed else None
    if reason is not None:  # apply would refuse it: the pull request is refused now
        return Destructive(
            node=f"tenant:{move.tenant}",
            what=f"{what} that apply cannot run in this version ({reason})",
            owner=f"Tenant/{move.tenant} spec",
            confirmation="nothing allows it in this version (docs/migrations.md)",
            confirmed=False,
        )
    return Destructive(
        node=f"tenant:{move.tenant}",
        what=what,
        owner=f"Tenant/{move.tenant} spec",
        confirmation=block,
        confirmed=move.confirmed,
    )


def unused_confirmations(
    items: Iterable[Destructive], head: Mapping[str, NodeRecord], unjudged: Iterable[str] = ()
) -> list[str]:
    """Confirmations anywhere in the spec that allow nothing this plan does: harmless for
    this plan, but a standing `confirmDestroy` keeps its resource without `prevent_destroy`,
    so each should go once what it confirmed has been applied. A `confirmDestroy` of a stack
    in `unjudged` (changed but not planned here: deferred, or no Terraform) is left out."""
    items = list(items)
    used = {(i.owner, i.confirmation) for i in items}
    skip = set(unjudged)
    out = []
    for node in sorted(head):
        record = head[node]
        if not record.confirm:
            continue
        kind, _, name = node.partition(":")
        if kind not in {"tenant", "stack"}:
            continue
        named = record.tenant.stack if record.tenant is not None else None
        stack = (named or default_stack(name)) if kind == "tenant" else name
        owner = (
            f"Tenant/{name} spec"
            if kind == "tenant"
            else f"Platform spec.pools[{name.removeprefix('pool-')}]"
        )
        for address in record.confirm.destroy:
            if stack not in skip and (owner, f"confirmDestroy: [{address}]") not in used:
                out.append(f"{owner}: confirmDestroy {address} matches no planned change")
        move = record.confirm.migration
        if move is not None and not any(i.node == node for i in items):
            out.append(
                f"{owner}: migration from {move.source} to {move.target} matches no planned "
                "change (remove it once the migration and its retirement are applied)"
            )
    return out
