"""The AWS driver: the components as VPC, RDS, KMS, S3, ECS on Fargate and API Gateway.

Pool stacks hold what pooled and bridge tenants share and name no tenant: adding or changing
a tenant never changes its pool's stack. Tenants read what they need from the pool's outputs
below (`POOL_OUTPUTS`), through remote state. A bridge tenant's database has a security
group of its own in the pool's network that admits the tenant's service only (its own group
too), or, for a plan without compute, the pool's shared services that serve the tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.components import Built, Components
from compiler.emit.stacks.parts import access, api, compute, database, keys, network, storage

# The outputs tenant stacks may rely on; renaming one is a breaking change for every tenant.
VPC_ID = "vpc_id"
PRIVATE_SUBNET_IDS = "private_subnet_ids"
WORKLOAD_SECURITY_GROUP_ID = "workload_security_group_id"
DATABASE_SECURITY_GROUP_ID = "database_security_group_id"
DATABASE_SUBNET_GROUP = "database_subnet_group_name"
DATABASE_ADDRESS = "database_address"
DATABASE_RESOURCE_ID = "database_resource_id"
DATABASE_SECRET_ARN = "database_master_secret_arn"
CLUSTER_ARN = "cluster_arn"
CLUSTER_NAME = "cluster_name"
BUCKET_NAME = "bucket_name"
BUCKET_ARN = "bucket_arn"
KEY_ARN = "key_arn"
WORKLOAD_ROLE_ARN = "workload_role_arn"
LOG_GROUP = "log_group_name"
LOG_BUCKET_NAME = "log_bucket_name"
API_ID = "api_id"
API_STAGE_NAME = "api_stage_name"


@dataclass(frozen=True)
class Logs:
    bucket: Resource
    policy: Resource  # the log bucket's policy: writers wait for it


@dataclass(frozen=True)
class Placement:
    """Where a stack's databases and services go: ids of the network's parts."""

    vpc_id: str
    subnet_ids: list[str] | None  # None: the pool's, read when a service needs them
    workload_group: str
    database_group: str
    subnet_group: str | None = None  # the pool's DB subnet group (bridge)


class AwsComponents(Components):
    def __init__(self, b: StackBuilder) -> None:
        super().__init__(b)
        self.shared = b.shape.workload == "shared"  # a tenant served by the pool's services
        self.subnet_group: str | None = None

    def key(self) -> Resource:
        return keys.kms_key(self.b)

    def logs(self) -> Logs:
        return Logs(*storage.log_bucket(self.b))

    def network(self, built: Built) -> Placement:
        net = network.network(self.b, built.logs.bucket, built.logs.policy)
        return Placement(
            net.vpc_id,
            net.subnet_ids,
            net.workload_security_group_id,
            net.database_security_group_id,
        )

    def pool_network(self) -> Placement:
        b = self.b
        vpc = b.pool_output(VPC_ID)
        group = b.pool_output(DATABASE_SUBNET_GROUP)
        if self.shared:
            # Served by the pool's shared services: they reach this database, nothing else.
            workload_group = b.pool_output(WORKLOAD_SECURITY_GROUP_ID)
            database_group = network.database_security_group(b, vpc)
            network.admit_to_database(b, database_group, workload_group)
            network.allow_database_out(
                b, workload_group, database_group, f"PostgreSQL to the database of {b.name}"
            )
            return Placement(vpc, None, workload_group, database_group.ref("id"), group)
        groups = network.security_groups(b, vpc)
        return Placement(vpc, None, groups.workload.ref("id"), groups.database.ref("id"), group)

    def database(self, built: Built) -> Resource:
        net: Placement = built.network
        group = net.subnet_group
        if group is None:
            if net.subnet_ids is None:
                raise ValueError("a database in the pool's network needs its subnet group")
            group = self.subnet_group = database.subnet_group(self.b, net.subnet_ids)
        return database.database(self.b, group, [net.database_group])

    def storage(self, built: Built) -> Resource:
        if built.logs is None:  # bridge: logs to the pool's log bucket
            log_bucket = self.b.pool_output(LOG_BUCKET_NAME)
            return storage.bucket(self.b, bucket_key=True, log_bucket=log_bucket)
        pool = self.b.shape.kind == "pool"
        return storage.bucket(
            self.b,
            bucket_key=not pool,
            log_bucket=built.logs.bucket.ref("id"),
            after=built.logs.policy,
        )

    def service_logs(self) -> Resource:
        return compute.log_group(self.b)

    def compute(self, built: Built) -> Resource:
        return compute.cluster(self.b)

    def identity(self, built: Built) -> Resource:
        b = self.b
        if b.shape.kind == "pool":
            return access.workload_role(b)
        if b.shape.kind == "pooled":
            statements = access.pooled_access(
                b,
                b.pool_output(BUCKET_ARN),
                b.pool_output(KEY_ARN),
                b.pool_output(DATABASE_RESOURCE_ID),
            )
            trust = access.trusted_by_role(b, b.pool_output(WORKLOAD_ROLE_ARN))
            return access.tenant_role(b, trust, statements)
        statements = access.dedicated_access(
            b, built.storage, built.key, built.database.ref("resource_id")
        )
        if self.shared:
            # Served by the pool's shared services, which take on this role per request.
            trust = access.trusted_by_role(b, b.pool_output(WORKLOAD_ROLE_ARN))
            return access.tenant_role(b, trust, statements)
        return access.tenant_role(b, compute.tasks_trust(b), statements)

    def service(self, built: Built) -> None:
        b = self.b
        net: Placement = built.network
        if built.compute is not None:
            cluster_arn, cluster_name = built.compute.ref("arn"), built.compute.ref("name")
        else:
            cluster_arn, cluster_name = b.pool_output(CLUSTER_ARN), b.pool_output(CLUSTER_NAME)
        subnets = net.subnet_ids
        placement = compute.Placement(
            cluster_arn,
            cluster_name,
            subnets if subnets is not None else b.pool_output(PRIVATE_SUBNET_IDS, "list(string)"),
            net.workload_group,
        )
        db, data = built.database, built.storage
        compute.service(
            b,
            placement,
            built.identity.ref("arn"),
            built.service_logs,
            _environment(b, db.token("address"), data.token("id")),
        )

    def api(self, built: Built) -> Any:
        return api.rest_api(self.b)

    def limits(self, built: Built) -> Any:
        stage = built.api
        if self.b.shape.kind != "silo":
            stage = api.Stage(self.b.pool_output(API_ID), self.b.pool_output(API_STAGE_NAME))
        return api.api_limits(self.b, stage)

    def outputs(self, built: Built) -> None:
        if self.b.shape.kind == "pool":
            self._pool_outputs(built)
            return
        b = self.b
        if b.shape.kind == "pooled":
            b.output(
                "storage_prefix",
                access.tenant_prefix(b.values.need("tenant").tenant),
                "The tenant's prefix in the pool's bucket",
            )
        else:
            _dedicated_outputs(b, built.key, built.database, built.storage)
        b.output("tenant_role_arn", built.identity.ref("arn"), "Role the tenant's code acts as")
        b.output("api_key_id", built.limits.key_id, "The tenant's API key (its value is in AWS)")
        b.output("usage_plan_id", built.limits.usage_plan_id, "The tenant's API limits")

    def _pool_outputs(self, built: Built) -> None:
        net: Placement = built.network
        db, data, cluster, stage = built.database, built.storage, built.compute, built.api
        for name, value, description in (
            (VPC_ID, net.vpc_id, "The pool's VPC"),
            (PRIVATE_SUBNET_IDS, net.subnet_ids, "Private subnets, one per availability zone"),
            (WORKLOAD_SECURITY_GROUP_ID, net.workload_group, "Services' group"),
            (DATABASE_SECURITY_GROUP_ID, net.database_group, "Databases' group"),
            (
                DATABASE_SUBNET_GROUP,
                self.subnet_group,
                "DB subnet group for databases in this network",
            ),
            (DATABASE_ADDRESS, db.ref("address"), "Host name of the shared PostgreSQL"),
            (DATABASE_RESOURCE_ID, db.ref("resource_id"), "For IAM database authentication"),
            (DATABASE_SECRET_ARN, database.master_secret_arn(db), "Secret with the master login"),
            (CLUSTER_ARN, cluster.ref("arn"), "The shared ECS cluster"),
            (CLUSTER_NAME, cluster.ref("name"), "The shared ECS cluster's name"),
            (BUCKET_NAME, data.ref("id"), "The shared bucket; tenants under tenants/<tenant>/"),
            (BUCKET_ARN, data.ref("arn"), "The shared bucket's ARN"),
            (KEY_ARN, built.key.ref("arn"), "The pool's KMS key"),
            (WORKLOAD_ROLE_ARN, built.identity.ref("arn"), "Role the shared services run as"),
            (LOG_GROUP, built.service_logs.ref("name"), "Log group of the shared services"),
            (LOG_BUCKET_NAME, built.logs.bucket.ref("id"), "Bucket for access and flow logs"),
            (API_ID, stage.api_id, "The platform API that tenants' usage plans limit"),
            (API_STAGE_NAME, stage.name, "Its stage"),
        ):
            self.b.output(name, value, description)


def _environment(b: StackBuilder, database_host: str, bucket: str) -> dict[str, Any]:
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
