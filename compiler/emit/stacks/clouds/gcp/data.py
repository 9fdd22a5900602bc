"""GCP data stores: the Cloud KMS key, Cloud SQL for PostgreSQL, the administrator's
secret, the Cloud Storage bucket, the Cloud Logging bucket, and what protects them.

Every store is encrypted with the stack's Cloud KMS key (HSM, rotated every 90 days, its
versions destroyed 30 days after they are scheduled for it). Each store's Google service
agent may use that key, granted by the store's own function, which the store waits for.
The database has private addresses only, admits TLS only and IAM logins, keeps 14 backups
and point-in-time recovery, and has both deletion protections on (Terraform's and Cloud
SQL's) and a final backup kept 30 days when it is deleted.
"""

from __future__ import annotations

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import DataSource, Resource
from compiler.emit.stacks.parts.database import BACKUP_RETENTION_DAYS, SLOW_STATEMENT_MS

ROTATION = "7776000s"  # 90 days
DESTROY_AFTER = "2592000s"  # 30 days, as AWS's key deletion window
LOG_RETENTION_DAYS = 365
NONCURRENT_DAYS = 90
SOFT_DELETE_SECONDS = NONCURRENT_DAYS * 86400
FINAL_BACKUP_DAYS = 30
KEY_USER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
# Server flags: IAM logins, TLS only, schema changes and slow statements logged without
# values, connections and waits logged.
FLAGS = {
    "cloudsql.iam_authentication": "on",
    "log_checkpoints": "on",
    "log_connections": "on",
    "log_disconnections": "on",
    "log_hostname": "on",
    "log_lock_waits": "on",
    "log_min_duration_statement": str(SLOW_STATEMENT_MS),
    "log_min_error_statement": "error",
    "log_min_messages": "error",
    "log_statement": "ddl",
    "log_temp_files": "0",
    "cloudsql.enable_pgaudit": "on",
}


def project(b: StackBuilder) -> DataSource:
    return b.data("project", "google_project")


def agent(b: StackBuilder, service: str) -> str:
    """The service agent of `service` (`gcp-sa-cloud-sql`) in the stack's project."""
    number = project(b).ref("number")
    return f"serviceAccount:service-{number}@{service}.iam.gserviceaccount.com"


def key(b: StackBuilder, name: str) -> Resource:
    ring = b.add("keys", "google_kms_key_ring", {"name": name, "location": b.region})
    stack_key = b.add(
        "key",
        "google_kms_crypto_key",
        {
            "name": "data",
            "key_ring": ring.ref("id"),
            "purpose": "ENCRYPT_DECRYPT",
            "rotation_period": ROTATION,
            "destroy_scheduled_duration": DESTROY_AFTER,
            "version_template": [
                {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": "HSM"}
            ],
        },
    )
    b.key_arn = stack_key.ref("id")
    return stack_key


def key_user(b: StackBuilder, id: str, member: str) -> Resource:
    """`member` (a store's service agent) may encrypt and decrypt with the stack's key."""
    if b.key_arn is None:
        raise ValueError(f"{id}: the stack has no key")
    return b.add(
        id,
        "google_kms_crypto_key_iam_member",
        {"crypto_key_id": b.key_arn, "role": KEY_USER, "member": member},
    )


def logs(b: StackBuilder) -> Resource:
    """A Cloud Logging bucket of the stack's own, a year of retention, the stack's key."""
    settings = b.data(
        "logging", "google_logging_project_settings", {"project": project(b).ref("project_id")}
    )
    grant = key_user(b, "logs_key", f"serviceAccount:{settings.ref('kms_service_account_id')}")
    return b.add(
        "logs",
        "google_logging_project_bucket_config",
        {
            "project": project(b).ref("project_id"),
            "location": b.region,
            "bucket_id": b.values.need("network").log_bucket_base_name,
            "retention_days": LOG_RETENTION_DAYS,
            "cmek_settings": [{"kms_key_name": b.key_arn}],
        },
        depends_on=[grant],
    )


def route_logs(b: StackBuilder, destination: str, name: str, database: str, service: str) -> None:
    """Route the stack's logs to the Cloud Logging bucket `destination` (its id): audit
    logs of resources named after the stack (`name`: its bucket, key ring, network), flow
    logs of its subnets, its database's logs, and its service's."""
    matched = " OR ".join(
        (
            f'protoPayload.resourceName:"{name}"',
            f'resource.labels.subnetwork_name:"{name}-"',
            f'resource.labels.database_id:"{database}"',
            f'resource.labels.service_name="{service}"',
        )
    )
    b.add(
        "logs_route",
        "google_logging_project_sink",
        {
            "name": b.aws_name("logs"),
            "destination": f"logging.googleapis.com/{destination}",
            "filter": matched,
            "unique_writer_identity": True,
        },
    )


def database(
    b: StackBuilder, network_id: str, database_range: str, waits_for: list[Resource]
) -> Resource:
    values = b.values.need("database")
    grant = key_user(b, "database_key", agent(b, "gcp-sa-cloud-sql"))
    instance = b.add(
        "database",
        "google_sql_database_instance",
        {
            "name": values.database_identifier,
            "region": b.region,
            "database_version": 'POSTGRES_${split(".", var.database_version)[0]}',
            "encryption_key_name": b.key_arn,
            "deletion_protection": True,
            "settings": [
                {
                    "tier": values.database_instance_class,
                    "edition": "ENTERPRISE",
                    "availability_type": '${var.database_multi_az ? "REGIONAL" : "ZONAL"}',
                    "disk_type": "PD_SSD",
                    "disk_size": values.database_storage_gb,
                    "disk_autoresize": True,
                    "deletion_protection_enabled": True,
                    "retain_backups_on_delete": True,
                    "final_backup_config": [{"enabled": True, "retention_days": FINAL_BACKUP_DAYS}],
                    "ip_configuration": [
                        {
                            "ipv4_enabled": False,
                            "private_network": network_id,
                            "allocated_ip_range": database_range,
                            "ssl_mode": "ENCRYPTED_ONLY",
                        }
                    ],
                    "backup_configuration": [
                        {
                            "enabled": True,
                            "point_in_time_recovery_enabled": True,
                            "transaction_log_retention_days": 7,
                            "backup_retention_settings": [
                                {
                                    "retained_backups": BACKUP_RETENTION_DAYS,
                                    "retention_unit": "COUNT",
                                }
                            ],
                        }
                    ],
                    "database_flags": [
                        {"name": name, "value": value} for name, value in sorted(FLAGS.items())
                    ],
                }
            ],
        },
        depends_on=[grant, *waits_for],
    )
    _admin_secret(b)
    return instance


def _admin_secret(b: StackBuilder) -> Resource:
    """Where the database administrator's password is kept: the secret only, encrypted
    with the stack's key and kept in the stack's region. Its value is added in Secret
    Manager by whoever sets the password, never written here."""
    grant = key_user(b, "secret_manager_key", agent(b, "gcp-sa-secretmanager"))
    replica = {"location": b.region, "customer_managed_encryption": [{"kms_key_name": b.key_arn}]}
    return b.add(
        "database_secret",
        "google_secret_manager_secret",
        {
            "secret_id": b.aws_name("database-admin"),
            "replication": [{"user_managed": [{"replicas": [replica]}]}],
        },
        depends_on=[grant],
    )


def storage(b: StackBuilder) -> Resource:
    gcs = b.data("storage_agent", "google_storage_project_service_account")
    grant = key_user(b, "bucket_key", f"serviceAccount:{gcs.ref('email_address')}")
    bucket_base_name = b.values.need("bucket").bucket_base_name
    return b.add(
        "bucket",
        "google_storage_bucket",
        {
            "name": f"{bucket_base_name}-{project(b).ref('number')}",
            "location": b.region,
            "storage_class": "STANDARD",
            "uniform_bucket_level_access": True,
            "public_access_prevention": "enforced",
            "force_destroy": False,
            "versioning": [{"enabled": True}],
            "encryption": [{"default_kms_key_name": b.key_arn}],
            "soft_delete_policy": [{"retention_duration_seconds": SOFT_DELETE_SECONDS}],
            "lifecycle_rule": [
                {
                    "action": [{"type": "Delete"}],
                    "condition": [{"days_since_noncurrent_time": NONCURRENT_DAYS}],
                }
            ],
        },
        depends_on=[grant],
    )
