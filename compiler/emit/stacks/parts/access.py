"""IAM roles a tenant's code acts as, each limited to that tenant's data.

* A dedicated tenant (silo, bridge) gets its own bucket and key, and its role may use those.
* A pooled tenant shares the pool's bucket and key; its role may touch only objects under
  `tenants/<tenant>/` and use the key only under its own encryption context
  (`tenant = <tenant>`, or S3's object ARN under its prefix). No per-tenant key: at
  thousands of tenants that cost adds up, and the context is what separates them.
* Both may connect to PostgreSQL only as the tenant's own database role (IAM database
  authentication), never as another tenant's.

The pool's shared services run as the pool's `workload` role, which may take on tenant roles
under the platform's tenant path; a tenant role names the role it trusts explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.emit.stacks.builder import StackBuilder, Statement
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.parts.compute import tasks_trust

KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
OBJECT_USE = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]


def tenant_role_path(platform: str) -> str:
    return f"/paybill/{platform}/tenants/"


def tenant_prefix(tenant: str) -> str:
    """Where a pooled tenant's objects live in its pool's bucket."""
    return f"tenants/{tenant}/"


def workload_role(b: StackBuilder) -> Resource:
    """The pool's shared services: may take on the platform's tenant roles, nothing else."""
    role = b.add(
        "workload_role",
        "aws_iam_role",
        {
            "name": b.values.need("workload").workload_role_name,
            "description": f"{b.name}: shared services; act for a tenant through its role",
            "assume_role_policy": tasks_trust(b),
        },
    )
    tenant_roles = f"arn:{b.partition}:iam::{b.account_id}:role{tenant_role_path(b.platform.name)}*"
    b.add(
        "workload_role_policy",
        "aws_iam_role_policy",
        {
            "name": "assume-tenant-roles",
            "role": role.ref("id"),
            "policy": b.policy(
                "workload_policy",
                [
                    Statement(
                        "TakeOnTenantRoles", ["sts:AssumeRole", "sts:TagSession"], [tenant_roles]
                    )
                ],
            ),
        },
    )
    return role


def trusted_by_role(b: StackBuilder, role_arn: str) -> str:
    """Trust policy naming one role (the pool's workload role) and nothing else."""
    return b.policy(
        "tenant_trust",
        [
            Statement(
                "PoolWorkload",
                ["sts:AssumeRole", "sts:TagSession"],
                principals={"AWS": [role_arn]},
            )
        ],
    )


def dedicated_access(
    b: StackBuilder, bucket: Resource, key: Resource, database_resource_id: str
) -> list[Statement]:
    return [
        Statement("TenantObjects", OBJECT_USE, [f"{bucket.ref('arn')}/*"]),
        Statement("TenantBucket", ["s3:ListBucket"], [bucket.ref("arn")]),
        Statement("TenantKey", KEY_USE, [key.ref("arn")]),
        _database_connect(b, database_resource_id),
    ]


def pooled_access(
    b: StackBuilder, bucket_arn: str, key_arn: str, database_resource_id: str
) -> list[Statement]:
    tenant = b.values.need("tenant").tenant
    prefix = tenant_prefix(tenant)
    return [
        Statement("TenantObjects", OBJECT_USE, [f"{bucket_arn}/{prefix}*"]),
        Statement(
            "TenantPrefixListing",
            ["s3:ListBucket"],
            [bucket_arn],
            conditions=[("StringLike", "s3:prefix", [f"{prefix}*"])],
        ),
        Statement(
            "TenantEncryptionContext",
            KEY_USE,
            [key_arn],
            conditions=[("StringEquals", "kms:EncryptionContext:tenant", [tenant])],
        ),
        Statement(
            "TenantObjectsThroughS3",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [key_arn],
            conditions=[
                ("StringEquals", "kms:ViaService", [f"s3.{b.region}.{b.dns_suffix}"]),
                ("StringLike", "kms:EncryptionContext:aws:s3:arn", [f"{bucket_arn}/{prefix}*"]),
            ],
        ),
        _database_connect(b, database_resource_id),
    ]


def _database_connect(b: StackBuilder, database_resource_id: str) -> Statement:
    """Connect to PostgreSQL as the tenant's own database user only (IAM authentication)."""
    login_role = b.values.need("tenant").login_role
    user = b.arn("rds-db", f"dbuser:{database_resource_id}/{login_role}")
    return Statement("TenantDatabaseRole", ["rds-db:connect"], [user])


def tenant_role(b: StackBuilder, trust_policy: str, statements: Sequence[Statement]) -> Resource:
    tenant = b.values.need("tenant")
    role = b.add(
        "tenant_role",
        "aws_iam_role",
        {
            "name": tenant.role_name,
            "path": tenant_role_path(b.platform.name),
            "description": f"Tenant {tenant.tenant}: its own data and nothing else",
            "assume_role_policy": trust_policy,
        },
    )
    b.add(
        "tenant_role_policy",
        "aws_iam_role_policy",
        {
            "name": "tenant-data",
            "role": role.ref("id"),
            "policy": b.policy("tenant_policy", statements),
        },
    )
    return role
