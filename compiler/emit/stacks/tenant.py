"""The modules of `tenant-<tenant>` stacks: one builder per isolation model.

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
from compiler.emit.stacks.builder import ModuleInterface, StackBuilder
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.inputs import PlatformFacts
from compiler.emit.stacks.parts import access, api, compute, database, keys, network, storage
from compiler.emit.stacks.values import symbolic
from compiler.resolve.shapes import Shape


def build_tenant(shape: Shape, platform: PlatformFacts) -> tuple[bytes, ModuleInterface]:
    """The module of the tenant stacks of one shape."""
    values = symbolic(shape)
    tenant = values.need("tenant")
    tags = {"tenant": tenant.tenant, "plan": tenant.plan, "isolation": shape.kind}
    if values.pool is not None:
        tags["pool"] = values.pool.pool
    b = StackBuilder(shape, platform, tags)
    if shape.kind == "silo":
        role, stage = _silo(b)
    elif shape.kind == "bridge":
        role, stage = _bridge(b)
    else:
        role, stage = _pooled(b)
    limits = api.api_limits(b, stage)
    b.output("tenant_role_arn", role.ref("arn"), "Role the tenant's code acts as")
    b.output("api_key_id", limits.key_id, "The tenant's API key (its value is in AWS)")
    b.output("usage_plan_id", limits.usage_plan_id, "The tenant's API limits")
    return b.finish()


def _silo(b: StackBuilder) -> tuple[Resource, api.Stage | None]:
    if b.shape.workload == "shared":
        raise ValueError(f"a silo shape has compute of its own, not {b.shape.name}")
    key = keys.kms_key(b)
    log_bucket, log_policy = storage.log_bucket(b)
    net = network.network(b, log_bucket, log_policy)
    subnets = database.subnet_group(b, net.subnet_ids)
    db = database.database(b, subnets, [net.database_security_group_id])
    data = storage.bucket(b, bucket_key=True, log_bucket=log_bucket.ref("id"), after=log_policy)
    statements = access.dedicated_access(b, data, key, db.ref("resource_id"))
    role = access.tenant_role(b, compute.tasks_trust(b), statements)
    logs = compute.log_group(b)
    stage = None
    if b.shape.workload == "service":
        stage = api.rest_api(b)
        cluster = compute.cluster(b)
        placement = compute.Placement(
            cluster.ref("arn"),
            cluster.ref("name"),
            net.subnet_ids,
            net.workload_security_group_id,
        )
        _service(b, placement, role, logs, db, data)
    _dedicated_outputs(b, key, db, data)
    return role, stage


def _bridge(b: StackBuilder) -> tuple[Resource, api.Stage]:
    shared = b.shape.workload == "shared"  # no compute: served by the pool's services
    key = keys.kms_key(b)
    vpc = b.pool_output(pool_outputs.VPC_ID)
    if shared:
        # Served by the pool's shared services: they reach this database, nothing else does.
        workload_group = b.pool_output(pool_outputs.WORKLOAD_SECURITY_GROUP_ID)
        database_group = network.database_security_group(b, vpc)
        network.admit_to_database(b, database_group, workload_group)
        network.allow_database_out(
            b, workload_group, database_group, f"PostgreSQL to the database of {b.name}"
        )
    else:
        groups = network.security_groups(b, vpc)
        workload_group, database_group = groups.workload.ref("id"), groups.database
    db = database.database(
        b, b.pool_output(pool_outputs.DATABASE_SUBNET_GROUP), [database_group.ref("id")]
    )
    data = storage.bucket(
        b, bucket_key=True, log_bucket=b.pool_output(pool_outputs.LOG_BUCKET_NAME)
    )
    statements = access.dedicated_access(b, data, key, db.ref("resource_id"))
    if shared:
        # Served by the pool's shared services, which take on this role per request.
        trust = access.trusted_by_role(b, b.pool_output(pool_outputs.WORKLOAD_ROLE_ARN))
        role = access.tenant_role(b, trust, statements)
    else:
        role = access.tenant_role(b, compute.tasks_trust(b), statements)
        logs = compute.log_group(b)
        if b.shape.workload == "service":
            placement = compute.Placement(
                b.pool_output(pool_outputs.CLUSTER_ARN),
                b.pool_output(pool_outputs.CLUSTER_NAME),
                b.pool_output(pool_outputs.PRIVATE_SUBNET_IDS, "list(string)"),
                workload_group,
            )
            _service(b, placement, role, logs, db, data)
    _dedicated_outputs(b, key, db, data)
    return role, _pool_stage(b)


def _pool_stage(b: StackBuilder) -> api.Stage:
    return api.Stage(b.pool_output(pool_outputs.API_ID), b.pool_output(pool_outputs.API_STAGE_NAME))


def _service(
    b: StackBuilder,
    placement: compute.Placement,
    role: Resource,
    logs: Resource,
    db: Resource,
    data: Resource,
) -> None:
    """The tenant's Fargate service (silo: on its own cluster; bridge: on the pool's)."""
    compute.service(
        b,
        placement,
        role.ref("arn"),
        logs,
        _environment(b, db.token("address"), data.token("id")),
    )


def _pooled(b: StackBuilder) -> tuple[Resource, api.Stage]:
    statements = access.pooled_access(
        b,
        b.pool_output(pool_outputs.BUCKET_ARN),
        b.pool_output(pool_outputs.KEY_ARN),
        b.pool_output(pool_outputs.DATABASE_RESOURCE_ID),
    )
    trust = access.trusted_by_role(b, b.pool_output(pool_outputs.WORKLOAD_ROLE_ARN))
    role = access.tenant_role(b, trust, statements)
    b.output(
        "storage_prefix",
        access.tenant_prefix(b.values.need("tenant").tenant),
        "The tenant's prefix in the pool's bucket",
    )
    return role, _pool_stage(b)


def _environment(b: StackBuilder, database_host: str, bucket: str) -> dict[str, str]:
    """The service's environment: inside `jsonencode`, so every reference is a token."""
    tenant = b.values.need("tenant")
    service = b.values.need("service")
    return {
        "PAYBILL_TENANT": b.token(tenant.tenant),
        "PAYBILL_DATABASE_HOST": database_host,
        "PAYBILL_DATABASE_NAME": b.platform.database_name,
        "PAYBILL_DATABASE_USER": b.token(tenant.login_role),
        "PAYBILL_DATABASE_ROLE": b.token(service.app_role),
        "PAYBILL_BUCKET": bucket,
    }


def _dedicated_outputs(b: StackBuilder, key: Resource, db: Resource, data: Resource) -> None:
    b.output("key_arn", key.ref("arn"), "The tenant's KMS key")
    b.output("database_address", db.ref("address"), "Host name of the tenant's database")
    b.output(
        "database_master_secret_arn",
        database.master_secret_arn(db),
        "Secret with the master login (kept by AWS)",
    )
    b.output("bucket_name", data.ref("id"), "The tenant's bucket")
