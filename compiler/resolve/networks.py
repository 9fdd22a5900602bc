"""Networks: every silo tenant gets a private range of its own, and no two networks overlap.

A silo tenant's network is, in this order:

1. `Tenant.spec.network.cidr`, when written (an existing tenant keeps its range this way);
2. with `Platform.spec.siloNetworks`, the block of `/prefixLength` inside that range at a slot
   derived from the tenant's name alone (the first 8 bytes of SHA-256 of the name, modulo the
   number of blocks in the range);
3. otherwise its plan's `resources.network.cidr` (default 10.0.0.0/16), as before the platform
   range existed: right for one tenant per plan, an overlap error for a second.

Why from the name alone: the committed output must merge. Two pull requests that each add a
silo tenant must change disjoint files, and the merged output must equal what the merged spec
compiles to. That holds only if a tenant's range does not depend on which other tenants
exist. A "first free block" allocator would give both new tenants the same block (each pull
request sees the other's block as free) and would move tenants when an earlier one leaves.
A slot from the name never moves for as long as the name, the range and the size stay, and
the platform range is no tenant's file. The price is that two names can land on the same
block; that is reported as an error at the tenant, with a free block to write as its
`spec.network.cidr`.

Every network in use, the pools' and the live silo tenants', must be disjoint from every
other in the same cloud account: that is what lets them be peered or routed to later.
Networks in different clouds are in different accounts and may overlap. A document that already has
errors is left out of the overlap check, so one mistake is reported once.
"""

from __future__ import annotations

import bisect
import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from compiler.dsl import Parsed, Tenant
from compiler.load import Path
from compiler.resolve import model
from compiler.resolve.context import Context
from compiler.resolve.platform import MAX_PREFIX, MIN_PREFIX, check_cidr

RANGE = ("spec", "siloNetworks", "cidr")
Network = ipaddress.IPv4Network


def allocated(cidr: str, prefix_length: int, tenant: str) -> str:
    """The block of `/prefix_length` in `cidr` whose slot the tenant's name gives."""
    network = Network(cidr)
    slots = 1 << (prefix_length - network.prefixlen)
    slot = int.from_bytes(hashlib.sha256(tenant.encode()).digest()[:8], "big") % slots
    return str(_block(network, prefix_length, slot))


def _block(network: Network, prefix_length: int, slot: int) -> Network:
    size = 1 << (32 - prefix_length)
    return Network((int(network.network_address) + slot * size, prefix_length))


def tenant_network(ctx: Context, doc: Parsed[Tenant], plan: model.Plan) -> str | None:
    """The tenant's own network (silo), or None; a network written for another isolation
    is reported."""
    written = doc.model.spec.network
    if plan.isolation != "silo":
        if written is not None:
            ctx.error(
                doc,
                ("spec", "network"),
                f"{plan.isolation} tenants use their pool's network (plan '{plan.name}' is "
                f"{plan.isolation})",
                "remove 'network'; only silo tenants have a network of their own",
                on_key=True,
            )
        return None
    if written is not None:
        check_cidr(ctx, doc, ("spec", "network", "cidr"), written.cidr)
        return written.cidr
    silo = ctx.spec.platform.model.spec.silo_networks
    if silo is None:
        return plan.network_cidr
    if not _usable_range(silo.cidr, silo.prefix_length):
        return None  # the range itself is reported
    return allocated(silo.cidr, silo.prefix_length, doc.name)


def _usable_range(cidr: str, prefix_length: int) -> bool:
    try:
        network = Network(cidr)
    except ValueError:
        return False
    return network.is_private and network.prefixlen <= prefix_length


@dataclass(frozen=True)
class _InUse:
    network: Network
    owner: str  # "pool 'eu-shared'" or "tenant 'acme'"
    doc: Parsed[Tenant] | None  # the tenant's document; None for a pool
    path: Path  # where the network is written (or, when allocated, the tenant's name)
    origin: str  # how the network came about, for the message
    cloud: str  # networks overlap only within one cloud account


def check_networks(ctx: Context, tenants: Sequence[model.Tenant]) -> None:
    """The platform's silo range, and no overlap between any two networks in use."""
    _check_range(ctx)
    failed = {d.doc for d in ctx.problems.diagnostics}
    in_use = _pools(ctx)
    for tenant in tenants:
        doc = ctx.spec.tenants[tenant.name]
        if tenant.state == "deleted" or tenant.network_cidr is None:
            continue
        network = _valid(tenant.network_cidr)
        if network is None or doc.source.label in failed:
            continue
        path, origin = _origin(ctx, doc, tenant)
        in_use.append(_InUse(network, f"tenant '{tenant.name}'", doc, path, origin, tenant.cloud))
    for cloud in sorted({u.cloud for u in in_use}):
        same = [u for u in in_use if u.cloud == cloud]
        for item, other in _overlapping(same):
            _report(ctx, item, other, [u.network for u in same])


def _check_range(ctx: Context) -> None:
    platform = ctx.spec.platform
    silo = platform.model.spec.silo_networks
    if silo is None:
        return
    try:
        network = Network(silo.cidr, strict=False)
    except ValueError as exc:
        ctx.error(platform, RANGE, f"'{silo.cidr}' is not a valid network: {exc}")
        return
    if str(network) != silo.cidr:
        ctx.error(
            platform,
            RANGE,
            f"'{silo.cidr}' has host bits set; a network is written with its first address",
            f"did you mean '{network}'?",
        )
        return
    if not network.is_private:
        ctx.error(
            platform,
            RANGE,
            f"'{silo.cidr}' is not a private range",
            "use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, or a part of one",
        )
    if network.prefixlen > silo.prefix_length:
        ctx.error(
            platform,
            RANGE,
            f"'{silo.cidr}' is smaller than one tenant network (/{silo.prefix_length})",
            "use a larger range or a larger prefixLength",
        )
    for index, pool in enumerate(platform.model.spec.pools):
        other = _valid(pool.network.cidr)
        if other is not None and network.overlaps(other):
            ctx.error(
                platform,
                RANGE,
                f"the silo tenants' range '{silo.cidr}' overlaps {other} of pool "
                f"'{pool.name}' (spec.pools[{index}].network.cidr)",
                "choose a range that holds no pool's network",
            )
    for name, plan in sorted(ctx.spec.plans.items()):
        resources = plan.model.spec.resources
        if plan.model.spec.isolation == "silo" and resources and resources.network:
            ctx.error(
                plan,
                ("spec", "resources", "network"),
                "the platform allocates each silo tenant's network (Platform "
                f"{platform.name} spec.siloNetworks), so the network of plan '{name}' would "
                "not be used",
                "remove resources.network; a tenant that keeps an existing range writes it "
                "as spec.network.cidr",
                on_key=True,
            )


def _valid(cidr: str) -> Network | None:
    """The network if it passed `check_cidr` (otherwise it is reported already)."""
    try:
        network = Network(cidr)
    except ValueError:
        return None
    if not network.is_private or not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
        return None
    return network


def _pools(ctx: Context) -> list[_InUse]:
    platform = ctx.spec.platform
    out = []
    default = platform.model.spec.cloud
    for index, pool in enumerate(platform.model.spec.pools):
        network = _valid(pool.network.cidr)
        if network is not None:
            path = ("spec", "pools", index, "network", "cidr")
            cloud = pool.cloud or default
            out.append(_InUse(network, f"pool '{pool.name}'", None, path, "its network", cloud))
    return out


def _origin(ctx: Context, doc: Parsed[Tenant], tenant: model.Tenant) -> tuple[Path, str]:
    if doc.model.spec.network is not None:
        return ("spec", "network", "cidr"), "spec.network.cidr"
    if ctx.spec.platform.model.spec.silo_networks is not None:
        return ("metadata", "name"), "allocated by name from Platform spec.siloNetworks"
    return ("metadata", "name"), f"from plan '{tenant.plan}', resources.network.cidr"


def _overlapping(in_use: list[_InUse]) -> list[tuple[_InUse, _InUse]]:
    """Each network that overlaps another, with one it overlaps, in the order found.

    Two CIDR blocks are either disjoint or one holds the other, so after sorting by first
    address (larger block first) the blocks holding the current one are a chain: a stack.
    """
    order = sorted(in_use, key=lambda u: (int(u.network.network_address), u.network.prefixlen))
    partner: dict[int, _InUse] = {}
    stack: list[_InUse] = []
    for item in order:
        while stack and not item.network.subnet_of(stack[-1].network):
            stack.pop()
        if stack:
            holder = stack[-1]
            partner.setdefault(id(item), holder)
            partner.setdefault(id(holder), item)
        stack.append(item)
    return [(u, partner[id(u)]) for u in order if id(u) in partner]


def _report(ctx: Context, item: _InUse, other: _InUse, used: list[Network]) -> None:
    if item.doc is None:
        if other.doc is not None:
            return  # reported at the tenant
        ctx.error(
            ctx.spec.platform,
            item.path,
            f"network {item.network} of {item.owner} overlaps {other.network} of {other.owner}",
            "pools need networks of their own",
        )
        return
    what = f"network {item.network} ({item.origin}) overlaps {other.network} of {other.owner}"
    if other.doc is not None:
        what += f" ({other.doc.source.file})"
    ctx.error(item.doc, item.path, what, _hint(ctx, item, used))


def _hint(ctx: Context, item: _InUse, used: list[Network]) -> str:
    silo = ctx.spec.platform.model.spec.silo_networks
    written = item.path[-1] == "cidr"
    if silo is None or not _usable_range(silo.cidr, silo.prefix_length):
        if written:
            return "write a range that no pool and no other silo tenant uses"
        return (
            "set Platform spec.siloNetworks so that each silo tenant gets a range of its own, "
            "or write this tenant's spec.network.cidr"
        )
    name = item.doc.name if item.doc else ""
    start = item.network if written else Network(allocated(silo.cidr, silo.prefix_length, name))
    free = _free_block(Network(silo.cidr), silo.prefix_length, start, used)
    suggestion = f", e.g. '{free}', which is free" if free else ""
    what = "write another range" if written else "write spec.network.cidr on this tenant"
    return (
        f"{what}{suggestion}; a tenant already applied keeps its range (changing it replaces "
        "its network)"
    )


def _free_block(
    range_: Network, prefix_length: int, after: Network, used: list[Network]
) -> Network | None:
    """The first block of the range after `after` (wrapping around) that overlaps nothing."""
    slots = 1 << (prefix_length - range_.prefixlen)
    size = 1 << (32 - prefix_length)
    base = int(range_.network_address)
    taken: list[list[int]] = []  # disjoint, sorted slot intervals [first, last] in use
    for first, last in sorted(
        (
            (max(int(n.network_address), base) - base) // size,
            (min(int(n.broadcast_address), int(range_.broadcast_address)) - base) // size,
        )
        for n in used
        if n.overlaps(range_)
    ):
        if taken and first <= taken[-1][1] + 1:
            taken[-1][1] = max(taken[-1][1], last)
        else:
            taken.append([first, last])
    starts = [first for first, _ in taken]
    slot = (int(after.network_address) - base) // size
    for step in range(1, slots + 1):
        candidate = (slot + step) % slots
        index = bisect.bisect_right(starts, candidate) - 1
        if index < 0 or taken[index][1] < candidate:
            return _block(range_, prefix_length, candidate)
    return None
