"""Platform and pools: clouds and regions, unique pool names, databases, usable networks."""

from __future__ import annotations

import ipaddress

from compiler.dsl import Document, Parsed
from compiler.load import Path
from compiler.resolve import model
from compiler.resolve.clouds import (
    check_pins,
    declared,
    region_problem,
    resolve_clouds,
    sku_of,
    undeclared,
)
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


def resolve_platform(ctx: Context) -> tuple[model.Platform, dict[str, model.DatabaseSize]]:
    """The platform and its clouds, and each pool's database on its cloud (by pool name;
    a pool whose database cannot be sized there is reported and left out)."""
    doc = ctx.spec.platform
    spec = doc.model.spec
    accounts = resolve_clouds(ctx)
    regions = declared(ctx)
    databases: dict[str, model.DatabaseSize] = {}
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
        database = _pool_database(ctx, index, regions)
        if database is not None:
            databases.setdefault(pool.name, database)
        check_cidr(ctx, doc, (*here, "network", "cidr"), pool.network.cidr)
    aws = next((a for a in accounts if a.cloud == "aws"), None)
    state_backend = (
        aws.state_backend if aws is not None else model.LocalBackend("terraform.tfstate")
    )
    if not isinstance(state_backend, model.LocalBackend | model.S3Backend):
        state_backend = model.LocalBackend("terraform.tfstate")  # reported: not AWS's kind
    return (
        model.Platform(
            name=doc.name,
            cloud=spec.cloud,
            regions=tuple(spec.regions),
            state_backend=state_backend,
            database_name=spec.database.name,
            tenant_column=spec.database.tenant_column,
            clouds=accounts,
        ),
        databases,
    )


def pool_cloud(ctx: Context, index: int) -> str:
    pool = ctx.spec.platform.model.spec.pools[index]
    return pool.cloud or ctx.spec.platform.model.spec.cloud


def _pool_database(
    ctx: Context, index: int, regions: dict[str, tuple[str, ...]]
) -> model.DatabaseSize | None:
    """The pool's cloud and region checked, and its database sized on that cloud."""
    doc = ctx.spec.platform
    pool = doc.model.spec.pools[index]
    here = ("spec", "pools", index)
    cloud = pool_cloud(ctx, index)
    at = (*here, "cloud") if pool.cloud is not None else ("spec", "cloud")
    if cloud not in regions:
        undeclared(ctx, doc, at, cloud, f"pool '{pool.name}'")
        return None
    if pool.region not in regions[cloud]:
        problem = region_problem(cloud, pool.region)
        if problem is None:
            default = cloud == doc.model.spec.cloud
            field = "spec.regions" if default else f"spec.clouds.{cloud}.regions"
            which = "regions" if default else f"{cloud} regions"
            problem = (
                f"pool region '{pool.region}' is not one of the platform's {which}",
                f"add it to {field}: {', '.join(regions[cloud])}",
            )
        ctx.error(doc, (*here, "region"), *problem)
    db = pool.database
    check_pins(ctx, doc, (*here, "database"), db)
    sku, why = sku_of(db, cloud)
    if sku is None:
        ctx.error(
            doc, (*here, "database"), f"pool '{pool.name}' is on {cloud}, but {why}", on_key=True
        )
        return None
    return model.DatabaseSize(sku, db.storage_gb, db.engine, db.version, cloud=cloud)
