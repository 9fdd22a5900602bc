"""The module of `pool-<pool>` stacks: the infrastructure pooled and bridge tenants share.

Network, the shared PostgreSQL, the shared bucket (tenants under `tenants/<tenant>/`), the
log bucket, the KMS key, the compute cluster, the role its shared services run as, and the
platform API whose stage the tenants' usage plans limit. Nothing here names a tenant: adding
or changing a tenant never changes this stack. Tenants read what they need from the outputs
below, through remote state.
"""

from __future__ import annotations

from compiler.emit.stacks.builder import ModuleInterface, StackBuilder
from compiler.emit.stacks.inputs import PlatformFacts
from compiler.emit.stacks.parts import access, api, compute, database, keys, network, storage
from compiler.emit.stacks.values import symbolic
from compiler.resolve.shapes import Shape

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


def build_pool(shape: Shape, platform: PlatformFacts) -> tuple[bytes, ModuleInterface]:
    """The module of a pool stack (a pool's name, region, network and sizes are values)."""
    pool = symbolic(shape).need("pool").pool
    tags = {"pool": pool, "tenant": "shared", "plan": "shared", "isolation": "shared"}
    b = StackBuilder(shape, platform, tags)
    key = keys.kms_key(b)
    log_bucket, log_policy = storage.log_bucket(b)
    net = network.network(b, log_bucket, log_policy)
    subnets = database.subnet_group(b, net.subnet_ids)
    db = database.database(b, subnets, [net.database_security_group_id])
    data = storage.bucket(b, bucket_key=False, log_bucket=log_bucket.ref("id"), after=log_policy)
    cluster = compute.cluster(b)
    logs = compute.log_group(b)
    workload = access.workload_role(b)
    stage = api.rest_api(b)
    for name, value, description in (
        (VPC_ID, net.vpc_id, "The pool's VPC"),
        (PRIVATE_SUBNET_IDS, net.subnet_ids, "Private subnets, one per availability zone"),
        (WORKLOAD_SECURITY_GROUP_ID, net.workload_security_group_id, "Services' group"),
        (DATABASE_SECURITY_GROUP_ID, net.database_security_group_id, "Databases' group"),
        (DATABASE_SUBNET_GROUP, subnets, "DB subnet group for databases in this network"),
        (DATABASE_ADDRESS, db.ref("address"), "Host name of the shared PostgreSQL"),
        (DATABASE_RESOURCE_ID, db.ref("resource_id"), "For IAM database authentication"),
        (DATABASE_SECRET_ARN, database.master_secret_arn(db), "Secret with the master login"),
        (CLUSTER_ARN, cluster.ref("arn"), "The shared ECS cluster"),
        (CLUSTER_NAME, cluster.ref("name"), "The shared ECS cluster's name"),
        (BUCKET_NAME, data.ref("id"), "The shared bucket; tenants under tenants/<tenant>/"),
        (BUCKET_ARN, data.ref("arn"), "The shared bucket's ARN"),
        (KEY_ARN, key.ref("arn"), "The pool's KMS key"),
        (WORKLOAD_ROLE_ARN, workload.ref("arn"), "Role the shared services run as"),
        (LOG_GROUP, logs.ref("name"), "Log group of the shared services"),
        (LOG_BUCKET_NAME, log_bucket.ref("id"), "Bucket for access and flow logs"),
        (API_ID, stage.api_id, "The platform API that tenants' usage plans limit"),
        (API_STAGE_NAME, stage.name, "Its stage"),
    ):
        b.output(name, value, description)
    return b.finish()
