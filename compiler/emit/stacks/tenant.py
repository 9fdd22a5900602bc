"""`tenant-<tenant>`: one builder per isolation model.

* silo: everything dedicated: key, network, database, buckets, cluster, service and API.
* bridge: dedicated key, database and bucket; the pool's network, cluster and API, read from
  the pool's outputs. The database has a security group of its own in the pool's network
  that admits the tenant's service only (its own group too), or, for a plan without
  compute, the pool's shared services that serve the tenant; no other pool workload.
* pooled: only what is the tenant's own inside the pool: its role (limited to its prefix
  and encryption context) and its API limits.

Every model ends with the tenant's API limits, attached to the stage it is served on, and
the outputs later steps use.
"""

from __future__ import annotations

from compiler.emit.stacks import pool as pool_outputs
from compiler.emit.stacks.backend import PoolState
from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource, output
from compiler.emit.stacks.inputs import TenantStack
from compiler.emit.stacks.parts import access, api, compute, database, keys, network, storage
from compiler.resolve.model import ComputeSize


def build_tenant(tenant: TenantStack) -> bytes:
    tags = {"tenant": tenant.name, "plan": tenant.plan, "isolation": tenant.isolation}
    if tenant.pool is not None:
        tags["pool"] = tenant.pool
    b = StackBuilder(tenant.stack, tenant.region, tenant.platform, tags, tenant.confirm_destroy)
    if tenant.isolation == "silo":
        role, stage = _silo(b, tenant)
    elif tenant.isolation == "bridge":
        role, stage = _bridge(b, tenant)
    else:
        role, stage = _pooled(b, tenant)
    limits = api.api_limits(b, tenant, stage)
    output(b.stack, "tenant_role_arn", role.ref("arn"), "Role the tenant's code acts as")
    output(b.stack, "api_key_id", limits.key_id, "The tenant's API key (its value is in AWS)")
    output(b.stack, "usage_plan_id", limits.usage_plan_id, "The tenant's API limits")
    return b.finish()


def _silo(b: StackBuilder, tenant: TenantStack) -> tuple[Resource, api.Stage | None]:
    if tenant.network_cidr is None or tenant.database is None or tenant.compute is None:
        raise ValueError(f"silo tenant '{tenant.name}' lacks network, database or compute")
    key = keys.kms_key(b)
    log_bucket, log_policy = storage.log_bucket(b)
    net = network.network(b, tenant.network_cidr, log_bucket, log_policy)
    subnets = database.subnet_group(b, net.subnet_ids)
    db = database.database(b, tenant.database, subnets, [net.database_security_group_id])
    data = storage.bucket(b, bucket_key=True, log_bucket=log_bucket.ref("id"), after=log_policy)
    statements = access.dedicated_access(b, data, key, db.ref("resource_id"), tenant.login_role)
    role = access.tenant_role(b, tenant.name, compute.tasks_trust(b), statements)
    logs = compute.log_group(b)
    stage = None
    if tenant.compute_mode != "none":
        stage = api.rest_api(b)
        cluster = compute.cluster(b)
        placement = compute.Placement(
            cluster.ref("arn"),
            cluster.ref("name"),
            net.subnet_ids,
            net.workload_security_group_id,
        )
        _service(b, tenant, tenant.compute, placement, role, logs, db, data)
    _dedicated_outputs(b, key, db, data)
    return role, stage


def _bridge(b: StackBuilder, tenant: TenantStack) -> tuple[Resource, api.Stage]:
    if tenant.database is None:
        raise ValueError(f"bridge tenant '{tenant.name}' lacks a database size")
    pool = PoolState(b.stack, tenant.platform.backend, tenant.pool_stack)
    key = keys.kms_key(b)
    vpc = pool.get(pool_outputs.VPC_ID)
    if tenant.compute is None:
        # Served by the pool's shared services: they reach this database, nothing else does.
        workload_group = pool.get(pool_outputs.WORKLOAD_SECURITY_GROUP_ID)
        database_group = network.database_security_group(b, vpc)
        network.admit_to_database(b, database_group, workload_group)
        network.allow_database_out(
            b, workload_group, database_group, f"PostgreSQL to the database of {b.name}"
        )
    else:
        groups = network.security_groups(b, vpc)
        workload_group, database_group = groups.workload.ref("id"), groups.database
    db = database.database(
        b,
        tenant.database,
        pool.get(pool_outputs.DATABASE_SUBNET_GROUP),
        [database_group.ref("id")],
    )
    data = storage.bucket(b, bucket_key=True, log_bucket=pool.get(pool_outputs.LOG_BUCKET_NAME))
    statements = access.dedicated_access(b, data, key, db.ref("resource_id"), tenant.login_role)
    if tenant.compute is None:
        # Served by the pool's shared services, which take on this role per request.
        trust = access.trusted_by_role(b, pool.get(pool_outputs.WORKLOAD_ROLE_ARN))
        role = access.tenant_role(b, tenant.name, trust, statements)
    else:
        role = access.tenant_role(b, tenant.name, compute.tasks_trust(b), statements)
        logs = compute.log_group(b)
        placement = compute.Placement(
            pool.get(pool_outputs.CLUSTER_ARN),
            pool.get(pool_outputs.CLUSTER_NAME),
            pool.get(pool_outputs.PRIVATE_SUBNET_IDS),
            workload_group,
        )
        _service(b, tenant, tenant.compute, placement, role, logs, db, data)
    _dedicated_outputs(b, key, db, data)
    return role, _pool_stage(pool)


def _pool_stage(pool: PoolState) -> api.Stage:
    return api.Stage(pool.get(pool_outputs.API_ID), pool.get(pool_outputs.API_STAGE_NAME))


def _service(
    b: StackBuilder,
    tenant: TenantStack,
    size: ComputeSize,
    placement: compute.Placement,
    role: Resource,
    logs: Resource,
    db: Resource,
    data: Resource,
) -> None:
    """The tenant's Fargate service (silo: on its own cluster; bridge: on the pool's)."""
    compute.service(
        b,
        size,
        tenant.compute_mode,
        placement,
        role.ref("arn"),
        logs,
        _environment(tenant, db.token("address"), data.token("id")),
    )


def _pooled(b: StackBuilder, tenant: TenantStack) -> tuple[Resource, api.Stage]:
    pool = PoolState(b.stack, tenant.platform.backend, tenant.pool_stack)
    statements = access.pooled_access(
        b,
        tenant.name,
        pool.get(pool_outputs.BUCKET_ARN),
        pool.get(pool_outputs.KEY_ARN),
        pool.get(pool_outputs.DATABASE_RESOURCE_ID),
        tenant.login_role,
    )
    trust = access.trusted_by_role(b, pool.get(pool_outputs.WORKLOAD_ROLE_ARN))
    role = access.tenant_role(b, tenant.name, trust, statements)
    output(
        b.stack,
        "storage_prefix",
        access.tenant_prefix(tenant.name),
        "The tenant's prefix in the pool's bucket",
    )
    return role, _pool_stage(pool)


def _environment(tenant: TenantStack, database_host: str, bucket: str) -> dict[str, str]:
    return {
        "PAYBILL_TENANT": tenant.name,
        "PAYBILL_DATABASE_HOST": database_host,
        "PAYBILL_DATABASE_NAME": tenant.platform.database_name,
        "PAYBILL_DATABASE_USER": tenant.login_role,
        "PAYBILL_DATABASE_ROLE": tenant.app_role,
        "PAYBILL_BUCKET": bucket,
    }


def _dedicated_outputs(b: StackBuilder, key: Resource, db: Resource, data: Resource) -> None:
    output(b.stack, "key_arn", key.ref("arn"), "The tenant's KMS key")
    output(b.stack, "database_address", db.ref("address"), "Host name of the tenant's database")
    output(
        b.stack,
        "database_master_secret_arn",
        database.master_secret_arn(db),
        "Secret with the master login (kept by AWS)",
    )
    output(b.stack, "bucket_name", data.ref("id"), "The tenant's bucket")
