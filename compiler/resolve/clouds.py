"""Clouds: which the platform declares, their regions and state, and each pool's and tenant's
cloud, region and database SKU.

The default cloud (`spec.cloud`) has `spec.regions` and `spec.stateBackend`; every other
cloud an entry of `spec.clouds` with its own. A region is checked against the real list of
its cloud (compiler.clouds, data/regions.json), and one of another cloud is named as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compiler import clouds as facts
from compiler.dsl import Document, Parsed
from compiler.dsl.platform import (
    AzurermBackend,
    GcsBackend,
    LocalBackend,
    OciBackend,
    S3Backend,
    S3CompatibleBackend,
)
from compiler.dsl.sizing import Sizing
from compiler.errors import did_you_mean
from compiler.load import Path
from compiler.resolve import model
from compiler.resolve.context import Context

# The state backends each cloud's stacks may use (local everywhere: one machine's trial).
BACKENDS = {
    "aws": ("local", "s3"),
    "azure": ("local", "azurerm"),
    "gcp": ("local", "gcs"),
    "oci": ("local", "oci", "s3"),
    "ibm": ("local", "s3"),
}
ACCOUNT_FIELDS = {
    "aws": (),
    "azure": ("subscriptionId", "tenantId"),
    "gcp": ("project",),
    "oci": ("compartmentId",),
    "ibm": ("resourceGroup",),
}


def resolve_clouds(ctx: Context) -> tuple[model.CloudAccount, ...]:
    """Every cloud the platform declares, the default one first checked like the others."""
    doc = ctx.spec.platform
    spec = doc.model.spec
    out = []
    default = _default_cloud(ctx, doc)
    if default is not None:
        out.append(default)
    for cloud in facts.CLOUDS:
        entry = getattr(spec.clouds, cloud)
        if entry is None or cloud == spec.cloud:
            continue
        here = ("spec", "clouds", cloud)
        if entry.regions is None:
            ctx.missing(
                doc,
                (*here, "regions"),
                f"missing required field 'regions': the regions of {cloud} this platform uses",
            )
        check_regions(ctx, doc, (*here, "regions"), cloud, entry.regions or [])
        backend = entry.state_backend or _remote_default(ctx, doc, cloud, here)
        check_backend(ctx, doc, (*here, "stateBackend"), cloud, backend)
        out.append(
            model.CloudAccount(
                cloud,
                tuple(entry.regions or ()),
                _account(entry),
                _backend(backend),
                default=False,
            )
        )
    return tuple(sorted(out, key=lambda a: a.cloud))


def _default_cloud(ctx: Context, doc: Parsed[Any]) -> model.CloudAccount | None:
    spec = doc.model.spec
    cloud = spec.cloud
    check_regions(ctx, doc, ("spec", "regions"), cloud, spec.regions)
    check_backend(ctx, doc, ("spec", "stateBackend"), cloud, spec.state_backend)
    entry = getattr(spec.clouds, cloud)
    here = ("spec", "clouds", cloud)
    if entry is None and ACCOUNT_FIELDS[cloud]:
        fields = " and ".join(ACCOUNT_FIELDS[cloud])
        ctx.missing(
            doc,
            here,
            f"missing required field '{cloud}': the default cloud {cloud} needs its account",
            f"add spec.clouds.{cloud} with {fields}",
        )
    if entry is not None:
        for name, value in (("regions", entry.regions), ("stateBackend", entry.state_backend)):
            if value is not None:
                ctx.error(
                    doc,
                    (*here, name),
                    f"{cloud} is the default cloud: its {name} are spec.{name}",
                    f"remove spec.clouds.{cloud}.{name}",
                    on_key=True,
                )
    return model.CloudAccount(
        cloud,
        tuple(spec.regions),
        _account(entry) if entry is not None else (),
        _backend(spec.state_backend),
        default=True,
    )


def _remote_default(ctx: Context, doc: Parsed[Any], cloud: str, here: Path) -> LocalBackend:
    """A further cloud without a state backend keeps state locally, as the platform does;
    with a remote platform backend, local state for one cloud would be a silent gap."""
    if doc.model.spec.state_backend.type != "local":
        kinds = " or ".join(t for t in BACKENDS[cloud] if t != "local")
        ctx.missing(
            doc,
            (*here, "stateBackend"),
            f"missing required field 'stateBackend': the platform keeps state remotely, so "
            f"{cloud}'s stacks need a backend of their own",
            f"add spec.clouds.{cloud}.stateBackend of type {kinds}",
        )
    return LocalBackend(type="local")


def _account(entry: Any) -> tuple[tuple[str, str], ...]:
    written = entry.model_dump(by_alias=True, exclude={"regions", "state_backend"})
    return tuple(sorted((k, str(v)) for k, v in written.items() if v is not None))


def check_regions(
    ctx: Context, doc: Parsed[Any], path: Path, cloud: str, regions: Sequence[str]
) -> None:
    for index, region in enumerate(regions):
        problem = region_problem(cloud, region)
        if problem is not None:
            ctx.error(doc, (*path, index), *problem)


def region_problem(cloud: str, region: str) -> tuple[str, str] | None:
    """(message, hint) when `region` is not one of `cloud`'s, else None."""
    known = facts.regions(cloud)
    if region in known:
        return None
    owner = facts.cloud_of_region(region)
    if owner is not None:
        return (
            f"'{region}' is a region of {owner}, not of {cloud}",
            f"name a region of {cloud}, or put this on {owner}",
        )
    hint = did_you_mean(region, known) or f"see the regions of {cloud} in docs/clouds.md"
    return f"unknown {cloud} region '{region}'", hint


def check_backend(ctx: Context, doc: Parsed[Any], path: Path, cloud: str, backend: Any) -> None:
    if backend.type not in BACKENDS[cloud]:
        kinds = ", ".join(BACKENDS[cloud])
        ctx.error(
            doc,
            (*path, "type"),
            f"state backend type {backend.type} is not one for {cloud}",
            f"the state backend of {cloud} is one of {kinds}",
        )
        return
    if not isinstance(backend, S3Backend):
        return  # an S3CompatibleBackend of a cloud's entry has its endpoint by its schema
    if cloud == "aws" and backend.endpoint is not None:
        ctx.error(
            doc,
            (*path, "endpoint"),
            "an endpoint names S3-compatible storage of another cloud; AWS S3 needs none",
            "remove endpoint",
            on_key=True,
        )
    if cloud != "aws" and backend.endpoint is None:
        ctx.missing(
            doc,
            (*path, "endpoint"),
            f"missing required field 'endpoint': the S3-compatible endpoint of {cloud}'s "
            "object storage",
        )
    if cloud != "aws" and backend.lock_table is not None:
        ctx.error(
            doc,
            (*path, "lockTable"),
            f"{cloud} has no DynamoDB: state is locked with a lock file in the bucket",
            "remove lockTable",
            on_key=True,
        )


def _backend(
    backend: LocalBackend
    | S3Backend
    | S3CompatibleBackend
    | AzurermBackend
    | GcsBackend
    | OciBackend,
) -> model.AnyBackend:
    if isinstance(backend, LocalBackend):
        return model.LocalBackend(path=backend.path)
    if isinstance(backend, AzurermBackend):
        return model.AzurermBackend(
            backend.resource_group, backend.storage_account, backend.container, backend.key_prefix
        )
    if isinstance(backend, GcsBackend):
        return model.GcsBackend(backend.bucket, backend.key_prefix)
    if isinstance(backend, OciBackend):
        return model.OciBackend(backend.bucket, backend.namespace, backend.key_prefix)
    if isinstance(backend, S3CompatibleBackend):
        return model.S3CompatibleBackend(
            backend.bucket, backend.endpoint, backend.region, backend.key_prefix
        )
    if backend.endpoint is not None:  # the default cloud's S3-compatible storage
        return model.S3CompatibleBackend(
            backend.bucket, backend.endpoint, backend.region, backend.key_prefix
        )
    return model.S3Backend(
        bucket=backend.bucket,
        region=backend.region or "",
        lock_table=backend.lock_table or "",
        key_prefix=backend.key_prefix,
    )


def declared(ctx: Context) -> dict[str, tuple[str, ...]]:
    """Cloud -> its regions, for every cloud the platform declares."""
    spec = ctx.spec.platform.model.spec
    out: dict[str, tuple[str, ...]] = {spec.cloud: tuple(spec.regions)}
    for cloud in facts.CLOUDS:
        entry = getattr(spec.clouds, cloud)
        if entry is not None and cloud != spec.cloud:
            out[cloud] = tuple(entry.regions or ())
    return out


def undeclared(ctx: Context, doc: Parsed[Document], path: Path, cloud: str, who: str) -> None:
    """A pool, tenant or plan names a cloud the platform does not declare."""
    ctx.error(
        doc,
        path,
        f"{who} is on {cloud}, which the platform does not declare",
        f"add spec.clouds.{cloud} to {ctx.spec.platform.source.label} (its account, "
        "regions and state backend)",
    )


def sku_of(sizing: Sizing, cloud: str) -> tuple[str | None, str]:
    """(the SKU of `sizing` on `cloud`, or None and why not)."""
    pinned = getattr(sizing.sku, cloud, None) if sizing.sku is not None else None
    if cloud == "aws" and sizing.instance_class is not None:
        pinned = sizing.instance_class
    if pinned is not None:
        return pinned, ""
    if sizing.size is None:
        return None, f"it is sized for {_forms(sizing)} only; give it a size or sku.{cloud}"
    row = facts.sku_for(cloud, sizing.size.vcpu, sizing.size.memory_gb)
    if row is None:
        top = facts.largest(cloud)
        return None, (
            f"no {cloud} SKU of the reviewed table has {sizing.size.vcpu} vCPUs and "
            f"{sizing.size.memory_gb:g} GB (the largest is {top.sku}: {top.vcpu} vCPUs, "
            f"{top.memory_gb:g} GB); pin one with sku.{cloud}"
        )
    return row.sku, ""


def _forms(sizing: Sizing) -> str:
    pinned = [c for c in facts.CLOUDS if sizing.sku is not None and getattr(sizing.sku, c)]
    if sizing.instance_class is not None:
        pinned.append("aws")
    return ", ".join(sorted(set(pinned))) or "no cloud"


def check_pins(ctx: Context, doc: Parsed[Document], path: Path, sizing: Sizing) -> None:
    """Every pinned SKU is for a declared cloud and spelled as that cloud spells them."""
    if sizing.sku is None:
        return
    clouds = declared(ctx)
    for cloud in facts.CLOUDS:
        sku = getattr(sizing.sku, cloud)
        if sku is None:
            continue
        here = (*path, "sku", cloud)
        if cloud not in clouds:
            ctx.error(
                doc,
                here,
                f"a sku for {cloud}, which the platform does not use",
                f"remove sku.{cloud}, or declare {cloud} in spec.clouds of the Platform",
                on_key=True,
            )
        elif not facts.valid_sku(cloud, sku):
            ctx.error(
                doc,
                here,
                f"'{sku}' is not valid here: must be {facts.SKU_MEANING[cloud]}",
            )


def check_drivers(ctx: Context, tenants: Sequence[model.Tenant], drivers: frozenset[str]) -> None:
    """Every pool and live tenant is on a cloud whose driver `compile` has."""
    doc = ctx.spec.platform
    spec = doc.model.spec
    for index, pool in enumerate(spec.pools):
        cloud = pool.cloud or spec.cloud
        if cloud not in drivers:
            here: Path = ("spec", "pools", index, "cloud") if pool.cloud else ("spec", "cloud")
            ctx.error(doc, here, *_no_driver(f"pool '{pool.name}'", cloud, drivers))
    for tenant in tenants:
        if tenant.state == "deleted" or tenant.cloud in drivers:
            continue
        tenant_doc = ctx.spec.tenants[tenant.name]
        written = tenant_doc.model.spec.cloud is not None
        at: Path = ("spec", "cloud") if written else ("spec", "pool") if tenant.pool else ("spec",)
        ctx.error(tenant_doc, at, *_no_driver(f"tenant '{tenant.name}'", tenant.cloud, drivers))


def _no_driver(who: str, cloud: str, drivers: frozenset[str]) -> tuple[str, str]:
    *others, last = sorted(drivers)
    choice = f"{', '.join(others)} or {last}" if others else last
    return (
        f"{who} is on {cloud}, whose driver is not there yet: compile builds stacks for "
        f"{', '.join(sorted(drivers))} only",
        f"paybill validate accepts this spec; to compile it now, keep this on {choice}",
    )


# The parts of the component model a cloud has no equivalent of (docs/clouds.md): a tenant
# whose limits need one cannot live there. IBM Cloud has no API product with per-consumer
# quotas (and no SQS-like queue, which no plan asks for yet).
MISSING_PARTS: dict[str, str] = {"ibm": "API product with quotas"}


def check_missing_parts(ctx: Context, tenants: Sequence[model.Tenant]) -> None:
    """No live tenant is on a cloud that lacks a part its plan needs: a rate limit needs an
    API product with quotas."""
    clouds = declared(ctx)  # a tenant on an undeclared cloud has its own error
    for tenant in tenants:
        missing = MISSING_PARTS.get(tenant.cloud)
        if tenant.state == "deleted" or missing is None or tenant.cloud not in clouds:
            continue
        if tenant.limits.api_requests_per_second is None:
            continue
        ctx.error(
            ctx.spec.tenants[tenant.name],
            ("spec", "plan"),
            f"tenant '{tenant.name}' is on {tenant.cloud}, which has no {missing}: its "
            f"limits (plan '{tenant.plan}') set apiRequestsPerSecond, which needs one",
            "give it a plan without apiRequestsPerSecond, or put it on another cloud",
        )
