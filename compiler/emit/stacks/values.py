"""A stack's values: what its module is given, for stacks of one shape are alike but for these.

Each group below is a set of module inputs (its fields are the inputs' names, types and
descriptions); a shape says which groups its module takes (`groups_of`). The same groups are
used twice:

* `symbolic(shape)`: every input as a reference (`${var.<name>}`), which is what the module
  builders read. They cannot branch on a value, only on the shape, so two stacks of a shape
  get the same structure by construction;
* `values_of(stack)`: every input's value for one stack, computed here in Python (no cdktn),
  which is what its root stack passes to the module.

Names that AWS limits in length (IAM roles, RDS identifiers, bucket names) are cut the way
`naming.fit` says and so are values; names that can never reach their limit are written by the
builders from the stack's name instead (`StackBuilder.aws_name`).

This module imports no cdktn: stamping a stack into its shape's template runs without node.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any

from compiler.emit.stacks import naming
from compiler.emit.stacks.inputs import PoolStack, StackInputs, TenantStack
from compiler.resolve.shapes import Shape

Scalar = str | int | bool
BURST_FACTOR = 2  # a tenant's burst is twice its steady request rate
ZONES = 3
SUBNET_BITS = 4  # a /16 gives /20 subnets; a /24 (the smallest allowed) gives /28s
# Field annotations (strings here) -> Terraform types.
TERRAFORM_TYPES = {"str": "string", "int": "number", "bool": "bool"}


def _doc(text: str) -> Any:
    return field(metadata={"doc": text})


@dataclass(frozen=True, slots=True)
class Identity:
    stack: str = _doc("The stack's name: pool-<pool> or tenant-<tenant>")
    region: str = _doc("The region the stack lives in")


@dataclass(frozen=True, slots=True)
class TenantValues:
    tenant: str = _doc("The tenant's name")
    plan: str = _doc("The tenant's plan")
    role_name: str = _doc("Name of the IAM role the tenant's code acts as")
    login_role: str = _doc("The database user the tenant's role may connect as")
    api_key_enabled: bool = _doc("Whether the tenant's API key works (an active tenant)")
    usage_plan_description: str = _doc("What the tenant's usage plan allows, for people")


@dataclass(frozen=True, slots=True)
class PoolName:
    pool: str = _doc("The pool: the stack's own, or the one the tenant lives in")


@dataclass(frozen=True, slots=True)
class Limits:
    rate_limit: int = _doc("Steady requests per second the tenant's key may make")
    burst_limit: int = _doc("Requests the tenant's key may make in a burst")


@dataclass(frozen=True, slots=True)
class DataBucket:
    bucket_base_name: str = _doc("The data bucket's name before -<account id>")


@dataclass(frozen=True, slots=True)
class DatabaseValues:
    database_identifier: str = _doc("RDS identifier of the database instance")
    database_parameter_group: str = _doc("Name of the database's parameter group")
    database_family: str = _doc("Parameter group family, e.g. postgres15")
    database_engine: str = _doc("Database engine")
    database_version: str = _doc("Engine version")
    database_instance_class: str = _doc("Instance class")
    database_storage_gb: int = _doc("Allocated storage in GB")
    database_multi_az: bool = _doc("Whether a standby runs in a second zone")


@dataclass(frozen=True, slots=True)
class NetworkValues:
    network_cidr: str = _doc("The network's address range")
    subnet_cidr_0: str = _doc("Address range of the first private subnet")
    subnet_cidr_1: str = _doc("Address range of the second private subnet")
    subnet_cidr_2: str = _doc("Address range of the third private subnet")
    log_bucket_base_name: str = _doc("The log bucket's name before -<account id>")


@dataclass(frozen=True, slots=True)
class ServiceValues:
    task_cpu: str = _doc("CPU units of a task")
    task_memory: str = _doc("Memory of a task, in MiB")
    service_min_tasks: int = _doc("Fewest running tasks (0 while suspended)")
    service_max_tasks: int = _doc("Most running tasks (0 while suspended)")
    execution_role_name: str = _doc("Name of the role ECS pulls the image and writes logs as")
    app_role: str = _doc("The tenant's database role the application uses")


@dataclass(frozen=True, slots=True)
class WorkloadValues:
    workload_role_name: str = _doc("Name of the role the pool's shared services run as")


GROUPS: dict[str, type] = {
    "identity": Identity,
    "tenant": TenantValues,
    "pool": PoolName,
    "limits": Limits,
    "bucket": DataBucket,
    "database": DatabaseValues,
    "network": NetworkValues,
    "service": ServiceValues,
    "workload": WorkloadValues,
}


# Inputs a cloud's modules do not take: what only that cloud's resources are sized or named
# by elsewhere (an RDS parameter group, an ECS execution role).
NOT_TAKEN: dict[str, frozenset[str]] = {
    "aws": frozenset(),
    "azure": frozenset(
        {
            "database_parameter_group",
            "database_family",
            "database_engine",
            "database_multi_az",
            "execution_role_name",
            "burst_limit",  # API Management's rate-limit has no burst of its own
        }
    ),
    "gcp": frozenset(
        {
            "database_parameter_group",
            "database_family",
            "database_engine",
            "execution_role_name",
            "network_cidr",  # a VPC network has no range of its own, only its subnets
            "burst_limit",  # an Apigee product's quota has no burst of its own
        }
    ),
    "oci": frozenset(
        {
            "database_parameter_group",
            "database_family",
            "database_engine",
            "execution_role_name",
            "service_min_tasks",  # a container instance runs, or is stopped: it does not scale
            "database_storage_gb",  # OCI's PostgreSQL storage grows with its data
            "burst_limit",  # a usage plan's rate limit has no burst of its own
        }
    ),
    "ibm": frozenset(
        {
            "database_parameter_group",
            "database_family",
            "database_engine",
            "database_multi_az",  # Databases for PostgreSQL always runs two members
            "execution_role_name",
            # IBM Cloud has no API product with quotas (compiler.resolve.clouds)
            "burst_limit",
            "api_key_enabled",
            "usage_plan_description",
        }
    ),
}


def not_taken(shape: Shape) -> frozenset[str]:
    """The inputs of `shape`'s groups its cloud's module does not take. An offboarding
    Azure silo has no API Management left (a GCP one no Apigee environment), so no product
    its API settings could go to."""
    skip = NOT_TAKEN[shape.cloud]
    if shape.cloud in ("azure", "gcp", "oci") and shape.kind == "silo" and shape.workload == "idle":
        skip |= {"api_key_enabled", "usage_plan_description"}
    if shape.cloud == "oci":
        # A blocked tenant has no subscriber, and an active one always has: the shape says.
        skip |= {"api_key_enabled"}
        if shape.kind == "pooled":
            skip |= {"role_name"}  # no code of its own: the pool's shared services serve it
    return skip


@dataclass(frozen=True, slots=True)
class Values:
    """One stack's module inputs by group (None: the shape takes none of that group)."""

    identity: Identity
    tenant: TenantValues | None = None
    pool: PoolName | None = None
    limits: Limits | None = None
    bucket: DataBucket | None = None
    database: DatabaseValues | None = None
    network: NetworkValues | None = None
    service: ServiceValues | None = None
    workload: WorkloadValues | None = None
    skip: tuple[str, ...] = ()  # inputs its cloud's modules do not take, sorted

    def groups(self) -> Iterator[tuple[str, Any]]:
        for name in GROUPS:
            group = getattr(self, name)
            if group is not None:
                yield name, group

    def inputs(self) -> dict[str, Scalar]:
        """Every input by name, in declaration order: what the root passes to the module."""
        return {
            f.name: getattr(g, f.name)
            for _, g in self.groups()
            for f in fields(g)
            if f.name not in self.skip
        }

    def need(self, group: str) -> Any:
        found = getattr(self, group)
        if found is None:
            raise ValueError(f"a module builder read {group} values its shape does not take")
        return found


def groups_of(shape: Shape) -> tuple[str, ...]:
    """The groups of inputs a shape's module takes."""
    if shape.kind == "pool":
        return ("identity", "pool", "bucket", "database", "network", "workload")
    out = ["identity", "tenant"]
    if shape.kind != "silo":
        out.append("pool")
    if shape.api == "limited":
        out.append("limits")
    if shape.kind != "pooled":
        out += ["bucket", "database"]
    if shape.kind == "silo":
        out.append("network")
    if shape.workload == "service":
        out.append("service")
    return tuple(name for name in GROUPS if name in out)


@dataclass(frozen=True, slots=True)
class Declaration:
    """A module input as the module declares it."""

    name: str
    type: str  # a Terraform type: string, number, bool
    description: str


def declarations(shape: Shape) -> list[Declaration]:
    out = []
    skip = not_taken(shape)
    for group in groups_of(shape):
        for f in fields(GROUPS[group]):
            if f.name not in skip:
                out.append(Declaration(f.name, TERRAFORM_TYPES[str(f.type)], f.metadata["doc"]))
    return out


def reference(name: str) -> str:
    return f"${{var.{name}}}"


def symbolic(shape: Shape) -> Values:
    """The shape's inputs as references, for the module builders."""
    groups = {
        group: GROUPS[group](**{f.name: reference(f.name) for f in fields(GROUPS[group])})
        for group in groups_of(shape)
    }
    return Values(**groups, skip=tuple(sorted(not_taken(shape))))


def values_of(stack: StackInputs) -> Values:
    """The inputs of one stack's module."""
    shape = stack.shape
    identity = Identity(stack.stack, stack.region)
    if isinstance(stack, PoolStack):
        found = _pool_values(stack, identity)
    else:
        found = _tenant_values(stack, identity)
    found = replace(found, skip=tuple(sorted(not_taken(shape))))
    taken = tuple(name for name, _ in found.groups())
    if taken != groups_of(shape):
        raise AssertionError(f"{stack.stack}: values {taken} for shape {shape.name}")
    return found


def _pool_values(pool: PoolStack, identity: Identity) -> Values:
    return Values(
        identity=identity,
        pool=PoolName(pool.name),
        bucket=_bucket(pool),
        database=_database(pool),
        network=_network(pool, pool.cidr),
        workload=WorkloadValues(_fitted(pool, "workload", _role_max(pool))),
    )


def _tenant_values(tenant: TenantStack, identity: Identity) -> Values:
    rate = tenant.api_requests_per_second
    dedicated = tenant.isolation != "pooled"
    service = tenant.compute is not None and tenant.compute_mode != "none"
    return Values(
        identity=identity,
        tenant=TenantValues(
            tenant=tenant.name,
            plan=tenant.plan,
            role_name=_fitted(tenant, "", _role_max(tenant)),
            login_role=tenant.login_role,
            api_key_enabled=tenant.api_enabled,
            usage_plan_description=usage_plan_description(tenant),
        ),
        pool=PoolName(tenant.pool) if tenant.pool is not None else None,
        limits=(
            Limits(rate, rate * BURST_FACTOR)
            if rate is not None and not tenant.api_blocked
            else None
        ),
        bucket=_bucket(tenant) if dedicated else None,
        database=_database(tenant) if dedicated else None,
        network=_network(tenant, tenant.network_cidr) if tenant.isolation == "silo" else None,
        service=_service(tenant) if service else None,
    )


def usage_plan_description(tenant: TenantStack) -> str:
    if tenant.api_blocked:
        return f"Tenant {tenant.name} ({tenant.state}): no requests"
    rate = tenant.api_requests_per_second
    limit = "unlimited" if rate is None else f"{rate} requests/s"
    return f"Tenant {tenant.name}, plan {tenant.plan}: {limit}"


def _fitted(stack: StackInputs, suffix: str, limit: int) -> str:
    """`<platform>-<stack>[-<suffix>]`, cut to `limit` the way `naming.fit` does."""
    return naming.fit(naming.joined(stack.platform.name, stack.stack, suffix), limit)


def _role_max(stack: StackInputs) -> int:
    """The longest name of the identity a stack's code acts as: an IAM role on AWS, a
    service account id on GCP."""
    return naming.SERVICE_ACCOUNT_MAX if stack.shape.cloud == "gcp" else naming.IAM_ROLE_MAX


def _bucket(stack: StackInputs) -> DataBucket:
    if stack.shape.cloud == "azure":
        return DataBucket(naming.storage_account(stack.platform.name, stack.stack))
    return DataBucket(_fitted(stack, "", naming.BUCKET_FIXED_MAX))


def _database(stack: StackInputs) -> DatabaseValues:
    size = stack.database
    if size is None:
        raise ValueError(f"{stack.stack} has a dedicated database but no database size")
    family = parameter_family(size.engine, size.version)
    return DatabaseValues(
        database_identifier=naming.rds_identifier(stack.platform.name, stack.stack),
        database_parameter_group=naming.rds_identifier(stack.platform.name, stack.stack, family),
        database_family=family,
        database_engine=size.engine,
        database_version=size.version,
        database_instance_class=size.instance_class,
        database_storage_gb=size.storage_gb,
        database_multi_az=size.multi_az,
    )


def parameter_family(engine: str, version: str) -> str:
    """A parameter group's family: the engine and its major version (`postgres15`)."""
    return f"{engine}{version.split('.', maxsplit=1)[0]}"


def _network(stack: StackInputs, cidr: str | None) -> NetworkValues:
    if cidr is None:
        raise ValueError(f"{stack.stack} has a network of its own but no address range")
    first, second, third = subnet_cidrs(cidr)
    return NetworkValues(
        cidr, first, second, third, _fitted(stack, "logs", naming.BUCKET_FIXED_MAX)
    )


def subnet_cidrs(cidr: str) -> list[str]:
    """The first three /(prefix+4) blocks of the network, one per zone."""
    network = ipaddress.IPv4Network(cidr)
    blocks = network.subnets(prefixlen_diff=SUBNET_BITS)
    return [str(next(blocks)) for _ in range(ZONES)]


def _service(tenant: TenantStack) -> ServiceValues:
    size = tenant.compute
    if size is None:
        raise ValueError(f"tenant '{tenant.name}' has a service but no compute size")
    running = tenant.compute_mode == "running"
    return ServiceValues(
        task_cpu=str(size.cpu),
        task_memory=str(size.memory_mb),
        service_min_tasks=size.min_tasks if running else 0,
        service_max_tasks=size.max_tasks if running else 0,
        execution_role_name=_fitted(tenant, "execution", naming.IAM_ROLE_MAX),
        app_role=tenant.app_role,
    )
