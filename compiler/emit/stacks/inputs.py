"""Exactly what each stack is built from, and so exactly what its input digest covers.

A stack builder receives one of these records and nothing else: not the resolved spec, not
the graph. That makes the input digest honest by construction (it is the fingerprint of the
record), and it is what keeps a change to one tenant inside that tenant's stack: a pool's
record holds no list of its tenants, and a tenant's record holds of its pool only the name
and region it needs to find the pool's state.

The records are plain frozen data, so they also travel to worker processes unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.homes import default_stack
from compiler.resolve.model import (
    AnyBackend,
    CloudAccount,
    ComputeSize,
    DatabaseSize,
    Isolation,
    LocalBackend,
    Pool,
    ResolvedSpec,
    S3Backend,
    Tenant,
    TenantState,
)
from compiler.resolve.shapes import (
    ComputeMode,
    Shape,
    api_blocked,
    compute_mode,
    module_name,
    pool_shape,
    tenant_shape,
)


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    """What every stack shares: names, the state backend and the application database."""

    name: str
    cloud: str
    backend: LocalBackend | S3Backend
    database_name: str
    accounts: tuple[CloudAccount, ...] = ()  # every cloud the platform declares

    def backend_of(self, cloud: str) -> AnyBackend:
        """Where stacks on `cloud` keep their state (AWS: the platform's backend)."""
        if cloud == "aws":
            return self.backend
        account = next((a for a in self.accounts if a.cloud == cloud), None)
        if account is None:
            raise ValueError(f"the platform declares no {cloud} account")
        return account.state_backend

    def account_of(self, cloud: str) -> tuple[tuple[str, str], ...]:
        """The cloud's account fields as written (`subscriptionId`, `project`, ...)."""
        account = next((a for a in self.accounts if a.cloud == cloud), None)
        return account.account if account is not None else ()


@dataclass(frozen=True, slots=True)
class PoolStack:
    platform: PlatformFacts
    name: str
    region: str
    cidr: str
    database: DatabaseSize
    shape: Shape
    confirm_destroy: tuple[str, ...] = ()  # resources the spec lets go: no prevent_destroy

    @property
    def stack(self) -> str:
        return f"pool-{self.name}"

    @property
    def module(self) -> str:
        return module_name(self.stack, self.shape)


@dataclass(frozen=True, slots=True)
class TenantStack:
    platform: PlatformFacts
    name: str
    plan: str
    isolation: Isolation
    region: str
    pool: str | None  # pooled and bridge tenants: the pool whose outputs they use
    state: TenantState
    api_requests_per_second: int | None  # None: no throttle beyond the account's
    database: DatabaseSize | None  # dedicated (silo, bridge)
    compute: ComputeSize | None  # dedicated cluster (silo) or a service on the pool's (bridge)
    network_cidr: str | None  # dedicated network (silo)
    app_role: str  # the tenant's NOLOGIN database role, which the login role is granted
    login_role: str  # the database user the tenant's IAM role may connect as (IAM auth)
    shape: Shape
    confirm_destroy: tuple[str, ...] = ()  # resources the spec lets go: no prevent_destroy
    stack: str = ""  # the tenant's stack (`spec.stack`, else `tenant-<name>`)

    def __post_init__(self) -> None:
        if not self.stack:
            object.__setattr__(self, "stack", default_stack(self.name))

    @property
    def module(self) -> str:
        return module_name(self.stack, self.shape)

    @property
    def pool_stack(self) -> str:
        if self.pool is None:
            raise ValueError(f"tenant '{self.name}' has no pool")
        return f"pool-{self.pool}"

    @property
    def compute_mode(self) -> ComputeMode:
        """suspended: scaled to zero; offboarding: removed; otherwise running."""
        return compute_mode(self.state)

    @property
    def api_enabled(self) -> bool:
        """Only an active tenant's API key works; pending tenants are still being set up."""
        return self.state == "active"

    @property
    def api_blocked(self) -> bool:
        """suspended and offboarding tenants get a throttle and a daily quota of zero."""
        return api_blocked(self.state)


StackInputs = PoolStack | TenantStack


def platform_facts(spec: ResolvedSpec) -> PlatformFacts:
    platform = spec.platform
    return PlatformFacts(
        platform.name,
        platform.cloud,
        platform.state_backend,
        platform.database_name,
        platform.clouds,
    )


def pool_stack(spec: ResolvedSpec, pool: Pool) -> PoolStack:
    return PoolStack(
        platform_facts(spec),
        pool.name,
        pool.region,
        pool.cidr,
        pool.database,
        pool_shape(pool.cloud, pool),
        confirm_destroy=pool.confirm_destroy,
    )


def tenant_stack(spec: ResolvedSpec, tenant: Tenant) -> TenantStack:
    return TenantStack(
        platform=platform_facts(spec),
        name=tenant.name,
        plan=tenant.plan,
        isolation=tenant.isolation,
        region=tenant.region,
        pool=tenant.pool if tenant.isolation != "silo" else None,
        state=tenant.state,
        api_requests_per_second=tenant.limits.api_requests_per_second,
        database=tenant.database if tenant.isolation != "pooled" else None,
        compute=tenant.compute if tenant.isolation != "pooled" else None,
        network_cidr=tenant.network_cidr if tenant.isolation == "silo" else None,
        app_role=tenant.app_role,
        login_role=tenant.login_role,
        shape=tenant_shape(tenant.cloud, tenant),
        confirm_destroy=tenant.confirm_destroy,
        stack=tenant.stack,
    )


def all_stacks(spec: ResolvedSpec) -> dict[str, StackInputs]:
    """Every stack by its name: one per pool and one per tenant that is not deleted."""
    out: dict[str, StackInputs] = {}
    for pool in spec.pools:
        inputs = pool_stack(spec, pool)
        out[inputs.stack] = inputs
    for tenant in spec.live_tenants:
        tenant_inputs = tenant_stack(spec, tenant)
        out[tenant_inputs.stack] = tenant_inputs
    return out
