"""Who a GCP stack's code acts as: a service account of its own, and what it may reach.

* pool: the shared services' account: the pool's bucket and database instance.
* silo, bridge: the tenant's account: its own bucket and instance (and, for a plan without
  compute, the pool's shared services too, which serve the tenant).
* pooled: the tenant's account: its prefix of the pool's bucket, by an IAM condition, and
  the pool's instance, where row-level security keeps it to its rows.

Database access is an IAM login (`cloudsql.iam_authentication`), granted per instance by a
condition on the instance's name; the database roles themselves are the SQL plane's.
"""

from __future__ import annotations

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.clouds.gcp.data import project
from compiler.emit.stacks.components import Built
from compiler.emit.stacks.parts.access import tenant_prefix

OBJECT_USER = "roles/storage.objectUser"
DATABASE_ROLES = ("roles/cloudsql.client", "roles/cloudsql.instanceUser")


def identity(b: StackBuilder, built: Built, account_id: str) -> Resource:
    kind = b.shape.kind
    # A service account takes no labels: its description carries the stack's tags.
    described = {**b.tags, "region": b.region}
    account = b.add(
        "identity",
        "google_service_account",
        {
            "account_id": account_id,
            "display_name": f"{b.platform.name} {b.name}",
            "description": ", ".join(f"{k}={v}" for k, v in sorted(described.items())),
        },
    )
    member = f"serviceAccount:{account.ref('email')}"
    if kind == "pooled":
        bucket = b.pool_output("bucket_name")
        own = tenant_prefix(b.values.need("tenant").tenant)
        prefix = f"projects/_/buckets/{bucket}/objects/{own}"
        _bucket_access(b, "identity_objects", bucket, member, prefix)
        _database_access(b, "identity", b.pool_output("database_instance"), member)
        return account
    _bucket_access(b, "identity_objects", built.storage.ref("name"), member)
    _database_access(b, "identity", built.database.ref("name"), member)
    if kind == "bridge" and b.shape.workload == "shared":
        # The pool's shared services serve this tenant: they reach its stores too.
        pool = f"serviceAccount:{b.pool_output('workload_service_account')}"
        _bucket_access(b, "pool_objects", built.storage.ref("name"), pool)
        _database_access(b, "pool", built.database.ref("name"), pool)
    return account


def _bucket_access(
    b: StackBuilder, id: str, bucket: str, member: str, prefix: str | None = None
) -> None:
    attributes: dict[str, object] = {"bucket": bucket, "role": OBJECT_USER, "member": member}
    if prefix is not None:
        attributes["condition"] = [
            {
                "title": "own-prefix",
                "description": "The tenant's own prefix of the pool's bucket",
                "expression": f'resource.name.startsWith("{prefix}")',
            }
        ]
    b.add(id, "google_storage_bucket_iam_member", attributes)


def _database_access(b: StackBuilder, id: str, instance: str, member: str) -> None:
    project_id = project(b).ref("project_id")
    name = f"projects/{project_id}/instances/{instance}"
    for role in DATABASE_ROLES:
        b.add(
            f"{id}_{role.rsplit('.', 1)[1].lower()}",
            "google_project_iam_member",
            {
                "project": project_id,
                "role": role,
                "member": member,
                "condition": [
                    {
                        "title": "own-instance",
                        "description": "One Cloud SQL instance only",
                        "expression": f'resource.name == "{name}"',
                    }
                ],
            },
        )
