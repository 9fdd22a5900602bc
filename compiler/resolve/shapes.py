"""Stack shapes: what decides a stack's structure, and so which module it instantiates.

Two stacks of one shape have the same resources, blocks and lifecycle settings; they differ
only in values (names, sizes, CIDRs, region, state-dependent numbers), which the module takes
as inputs. A shape is:

* the cloud (`aws`; the names start with it, so a driver per cloud can add its own);
* the kind: `pool`, or a tenant's isolation model (`silo`, `bridge`, `pooled`);
* the workload: `service` (a dedicated service runs: silo, or bridge with compute), `idle`
  (its compute is gone: an offboarding silo or bridge tenant keeps network and groups), or
  `shared` (served by the pool's services: pooled, bridge without compute). Pools have none;
* the API limits: `limited` (a throttle), `unlimited` (the account's limits), `blocked`
  (suspended or offboarding: throttle and quota of zero). Pools have none;
* the data stores the spec lets go (`confirmDestroy`): `lifecycle.prevent_destroy` must be a
  literal in Terraform, so a stack whose database may be replaced needs a module of its own.

A shape's name says all of it, e.g. `aws-bridge-service-limited`.

Shapes are derived here, before the graph: each module is a graph node, which every stack
that uses it depends on. Which modules exist depends on the shared documents only (the
shapes each plan and pool allows, `spec_modules`), not on which tenants exist: so two pull
requests that change different tenants never both touch a module. A stack that lets a store
go has a module of its own (`module_name`). The stack builders (`compiler.emit.stacks`)
build each module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from compiler.resolve.model import Isolation, Plan, Pool, ResolvedSpec, Tenant, TenantState

Kind = Literal["pool", "silo", "bridge", "pooled"]
Workload = Literal["service", "idle", "shared", ""]
ApiLimits = Literal["limited", "unlimited", "blocked", ""]
# The clouds whose stacks compile builds (each has a driver in compiler.emit.stacks.clouds).
CLOUDS = ("aws", "azure", "gcp", "oci", "ibm")

# The data stores a stack may hold, per cloud, by the name their confirmation uses in a
# shape's name: what `confirmDestroy` may name, and what the builders protect.
PROTECTED_STORES: dict[str, dict[str, str]] = {
    "aws": {
        "database": "aws_db_instance.database",
        "key": "aws_kms_key.key",
        "bucket": "aws_s3_bucket.bucket",
        "log-bucket": "aws_s3_bucket.log_bucket",
    },
    "azure": {
        "database": "azurerm_postgresql_flexible_server.database",
        "key": "azurerm_key_vault_key.key",
        "bucket": "azurerm_storage_account.bucket",
        "log-bucket": "azurerm_log_analytics_workspace.logs",
    },
    "gcp": {
        "database": "google_sql_database_instance.database",
        "key": "google_kms_crypto_key.key",
        "bucket": "google_storage_bucket.bucket",
        "log-bucket": "google_logging_project_bucket_config.logs",
    },
    "oci": {
        "database": "oci_psql_db_system.database",
        "key": "oci_kms_key.key",
        "bucket": "oci_objectstorage_bucket.bucket",
        "log-bucket": "oci_logging_log_group.logs",
    },
    "ibm": {
        "database": "ibm_database.database",
        "key": "ibm_kms_key.key",
        "bucket": "ibm_cos_bucket.bucket",
        "log-bucket": "ibm_cos_bucket.logs",
    },
}
# The clouds with no API product with quotas (compiler.resolve.clouds.MISSING_PARTS refuses
# a tenant whose limits need one there): they have no limited shapes.
NO_API_PRODUCT = frozenset({"ibm"})
_SLUG = {address: slug for stores in PROTECTED_STORES.values() for slug, address in stores.items()}


def stores_of(cloud: str, kind: str) -> frozenset[str]:
    """The stores a stack of `kind` holds on `cloud`; the builders protect exactly these (a
    test holds them to what the modules protect). A bridge tenant logs to its pool's."""
    stores = PROTECTED_STORES[cloud]
    if kind == "pooled":
        return frozenset()
    if kind == "bridge":
        return frozenset(a for slug, a in stores.items() if slug != "log-bucket")
    return frozenset(stores.values())


UNPROTECTED = "unprotected"


@dataclass(frozen=True, slots=True, order=True)
class Shape:
    cloud: str
    kind: Kind
    workload: Workload = ""
    api: ApiLimits = ""
    unprotected: tuple[str, ...] = ()  # addresses of PROTECTED_STORES, sorted

    def __post_init__(self) -> None:
        if self.cloud not in CLOUDS:
            raise ValueError(f"no stack driver for cloud {self.cloud!r} (known: {CLOUDS})")
        pool = self.kind == "pool"
        if pool != (self.workload == "") or pool != (self.api == ""):
            raise ValueError(f"a {self.kind} shape has no workload or API limits: {self}")
        unknown = [a for a in self.unprotected if a not in stores_of(self.cloud, self.kind)]
        if unknown or list(self.unprotected) != sorted(set(self.unprotected)):
            raise ValueError(f"not sorted stores of a {self.kind} stack: {self.unprotected}")

    @property
    def name(self) -> str:
        parts = [self.cloud, self.kind, self.workload, self.api]
        if self.unprotected:
            parts += [UNPROTECTED, *sorted(_SLUG[a] for a in self.unprotected)]
        return "-".join(p for p in parts if p)


ComputeMode = Literal["running", "zero", "none"]
LIVE_STATES: tuple[TenantState, ...] = ("pending", "active", "suspended", "offboarding")


def compute_mode(state: TenantState) -> ComputeMode:
    """suspended: scaled to zero; offboarding: removed; otherwise running."""
    if state == "offboarding":
        return "none"
    if state == "suspended":
        return "zero"
    return "running"


def api_blocked(state: TenantState) -> bool:
    """suspended and offboarding tenants get a throttle and a daily quota of zero."""
    return state in ("suspended", "offboarding")


def tenant_shape(cloud: str, tenant: Tenant) -> Shape:
    """The shape of a live tenant's stack."""
    return _shape(
        cloud,
        tenant.isolation,
        compute=tenant.compute is not None,
        state=tenant.state,
        limited=tenant.limits.api_requests_per_second is not None,
        unprotected=_unprotected(cloud, tenant.isolation, tenant.confirm_destroy),
    )


def plan_shapes(cloud: str, plan: Plan) -> set[Shape]:
    """Every shape a tenant on `plan` can have, in any live state, whatever its overrides
    (a tenant's override may set an API rate, or lift it with `null`), stores let go aside."""
    return {
        _shape(cloud, plan.isolation, plan.compute is not None, state, limited, ())
        for state in LIVE_STATES
        for limited in ((False,) if cloud in NO_API_PRODUCT else (True, False))
    }


def pool_shape(cloud: str, pool: Pool) -> Shape:
    return Shape(cloud, "pool", unprotected=_unprotected(cloud, "pool", pool.confirm_destroy))


def _shape(
    cloud: str,
    isolation: Isolation,
    compute: bool,
    state: TenantState,
    limited: bool,
    unprotected: tuple[str, ...],
) -> Shape:
    if isolation == "pooled" or not compute:
        workload: Workload = "shared"
    else:
        workload = "idle" if compute_mode(state) == "none" else "service"
    if api_blocked(state):
        api: ApiLimits = "blocked"
    else:
        api = "limited" if limited else "unlimited"
    return Shape(cloud, isolation, workload, api, unprotected)


def _unprotected(cloud: str, kind: Kind, confirmed: tuple[str, ...]) -> tuple[str, ...]:
    """The confirmed addresses that change a module: stores a stack of its kind holds. Any
    other confirmed address stays in the node record, where the guard reports it as
    matching nothing."""
    return tuple(sorted(set(confirmed) & stores_of(cloud, kind)))


def module_name(stack: str, shape: Shape) -> str:
    """The module a stack uses: its shape's, shared by every stack of the shape, or, for a
    stack that lets a store go, one of its own named after it (`tenant-acme`): confirmations
    are per stack and brief, and a tenant's pull request then touches its own files only."""
    return stack if shape.unprotected else shape.name


def plan_clouds(spec: ResolvedSpec, plan: Plan) -> list[str]:
    """The clouds a tenant on `plan` may be on: the platform's clouds the plan allows, that
    have a driver, where the plan's database can be sized (shared documents only)."""
    declared = {spec.platform.cloud} | {a.cloud for a in spec.platform.clouds}
    allowed = declared if plan.clouds is None else declared & set(plan.clouds)
    if plan.database is not None and plan.isolation != "pooled":
        allowed &= {cloud for cloud, _ in plan.database.skus}
    return sorted(allowed & set(CLOUDS))


def spec_modules(spec: ResolvedSpec) -> dict[str, Shape]:
    """Every module of a spec by name: each shape its plans and pools allow, whether a
    tenant has it now or not (so a tenant changing state or leaving never adds or removes
    a module another pull request may be using), and each stack's own."""
    out = {
        s.name: s
        for plan in spec.plans
        for cloud in plan_clouds(spec, plan)
        for s in plan_shapes(cloud, plan)
    }
    for pool in spec.pools:
        shape = pool_shape(pool.cloud, pool)
        out[module_name(pool.target, shape)] = shape
    for tenant in spec.live_tenants:
        shape = tenant_shape(tenant.cloud, tenant)
        if shape.unprotected:
            out[module_name(tenant.stack, shape)] = shape
    return dict(sorted(out.items()))
