"""Platform and pools: regions, unique pool names, usable networks."""

from __future__ import annotations

import ipaddress

from compiler.dsl import Document, Parsed
from compiler.load import Path
from compiler.resolve import model
from compiler.resolve.context import Context

MIN_PREFIX, MAX_PREFIX = 16, 24  # AWS VPCs allow /16../28; we need room for subnets in 3 AZs


def check_cidr(ctx: Context, doc: Parsed[Document], path: Path, cidr: str) -> None:
    """A private IPv4 network, written as its network address, sized for subnets in 3 AZs."""
    try:
        network = ipaddress.IPv4Network(cidr, strict=False)
    except ValueError as exc:
        ctx.error(doc, path, f"'{cidr}' is not a valid network: {exc}")
        return
    if network.network_address != ipaddress.IPv4Address(cidr.partition("/")[0]):
        ctx.error(
            doc,
            path,
            f"'{cidr}' has host bits set; a network is written with its first address",
            f"did you mean '{network}'?",
        )
    if not network.is_private:
        ctx.error(
            doc,
            path,
            f"'{cidr}' is not a private range",
            "use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
        )
    if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
        ctx.error(
            doc,
            path,
            f"'{cidr}' has a /{network.prefixlen} prefix; it must be between "
            f"/{MIN_PREFIX} and /{MAX_PREFIX}",
            "the network is split into one private subnet per availability zone",
        )


def resolve_platform(ctx: Context) -> model.Platform:
    doc = ctx.spec.platform
    spec = doc.model.spec
    seen: dict[str, int] = {}
    for index, pool in enumerate(spec.pools):
        here = ("spec", "pools", index)
        if pool.name in seen:
            ctx.error(
                doc,
                (*here, "name"),
                f"pool '{pool.name}' is defined twice (also spec.pools[{seen[pool.name]}])",
            )
        seen.setdefault(pool.name, index)
        if pool.region not in spec.regions:
            ctx.error(
                doc,
                (*here, "region"),
                f"pool region '{pool.region}' is not one of the platform's regions",
                f"add it to spec.regions: {', '.join(spec.regions)}",
            )
        check_cidr(ctx, doc, (*here, "network", "cidr"), pool.network.cidr)
    backend = spec.state_backend
    state_backend: model.LocalBackend | model.S3Backend
    if backend.type == "local":
        state_backend = model.LocalBackend(path=backend.path)
    else:
        state_backend = model.S3Backend(
            bucket=backend.bucket,
            region=backend.region,
            lock_table=backend.lock_table,
            key_prefix=backend.key_prefix,
        )
    return model.Platform(
        name=doc.name,
        cloud=spec.cloud,
        regions=tuple(spec.regions),
        state_backend=state_backend,
        database_name=spec.database.name,
        tenant_column=spec.database.tenant_column,
    )
