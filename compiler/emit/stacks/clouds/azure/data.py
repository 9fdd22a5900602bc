"""Azure data stores: the Key Vault key, PostgreSQL flexible server, the storage account,
the Log Analytics workspace, and what protects them.

Every store is encrypted with the stack's Key Vault key (RSA 4096, rotated every year, the
vault purge-protected), through a user-assigned identity that may use that key only. The
database admits Microsoft Entra ID logins only (no password exists, so none can leak), has
no public access, a zone-redundant standby and 14 days of backups. Databases and storage
accounts carry a `CanNotDelete` management lock beside `prevent_destroy`.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.parts.database import BACKUP_RETENTION_DAYS, SLOW_STATEMENT_MS

LOG_RETENTION_DAYS = 365
NONCURRENT_DAYS = 90
KEY_USER_ROLE = "Key Vault Crypto Service Encryption User"
# Server parameters: TLS only, schema changes and slow statements logged without values.
PARAMETERS = {
    "require_secure_transport": "on",
    "log_statement": "ddl",
    "log_min_duration_statement": str(SLOW_STATEMENT_MS),
    "log_parameter_max_length": "0",
}


@dataclass(frozen=True)
class Key:
    vault: Resource
    key: Resource
    identity: Resource  # the stores' identity, which may use the key


def key(b: StackBuilder, group: Resource) -> Key:
    client = b.data("client", "azurerm_client_config")
    located = {"resource_group_name": group.ref("name"), "location": b.region}
    vault = b.add(
        "vault",
        "azurerm_key_vault",
        {
            "name": b.values.need("bucket").bucket_base_name,
            **located,
            "tenant_id": client.ref("tenant_id"),
            "sku_name": "premium",
            "rbac_authorization_enabled": True,
            "purge_protection_enabled": True,
            "soft_delete_retention_days": 90,
            "public_network_access_enabled": False,
            "network_acls": [{"bypass": "AzureServices", "default_action": "Deny"}],
        },
    )
    stack_key = b.add(
        "key",
        "azurerm_key_vault_key",
        {
            "name": "data",
            "key_vault_id": vault.ref("id"),
            "key_type": "RSA-HSM",
            "key_size": 4096,
            "key_opts": ["unwrapKey", "wrapKey"],
            "rotation_policy": [
                {
                    "expire_after": "P2Y",
                    "notify_before_expiry": "P30D",
                    "automatic": [{"time_after_creation": "P1Y"}],
                }
            ],
        },
    )
    identity = b.add(
        "data_identity",
        "azurerm_user_assigned_identity",
        {"name": f"{b.aws_name()}-data", **located},
    )
    grant(b, "data_identity_key", stack_key.ref("resource_versionless_id"), identity, KEY_USER_ROLE)
    b.key_arn = stack_key.ref("versionless_id")
    return Key(vault, stack_key, identity)


def grant(b: StackBuilder, id: str, scope: str, identity: Resource | str, role: str) -> None:
    """`role` on `scope` for a user-assigned identity (or a principal id)."""
    principal = identity.ref("principal_id") if isinstance(identity, Resource) else identity
    b.add(
        id,
        "azurerm_role_assignment",
        {
            "scope": scope,
            "role_definition_name": role,
            "principal_id": principal,
            "principal_type": "ServicePrincipal",
        },
    )


def logs(b: StackBuilder, group: Resource) -> Resource:
    return b.add(
        "logs",
        "azurerm_log_analytics_workspace",
        {
            "name": b.values.need("network").log_bucket_base_name,
            "resource_group_name": group.ref("name"),
            "location": b.region,
            "sku": "PerGB2018",
            "retention_in_days": LOG_RETENTION_DAYS,
            "local_authentication_enabled": False,
        },
    )


def database(
    b: StackBuilder, group: Resource, key: Key, subnet_id: str, dns_zone_id: str, workspace: str
) -> Resource:
    values = b.values.need("database")
    client = b.data("client", "azurerm_client_config")
    server = b.add(
        "database",
        "azurerm_postgresql_flexible_server",
        {
            "name": values.database_identifier,
            "resource_group_name": group.ref("name"),
            "location": b.region,
            "version": values.database_version,
            "sku_name": values.database_instance_class,
            "storage_mb": "${var.database_storage_gb * 1024}",
            "auto_grow_enabled": True,
            "delegated_subnet_id": subnet_id,
            "private_dns_zone_id": dns_zone_id,
            "public_network_access_enabled": False,
            "backup_retention_days": BACKUP_RETENTION_DAYS,
            # Geo-redundant backups of a server encrypted with a customer key need a second
            # key in the paired region: not built (docs/clouds.md).
            "geo_redundant_backup_enabled": False,
            "high_availability": [{"mode": "ZoneRedundant"}],
            "authentication": [
                {
                    "active_directory_auth_enabled": True,
                    "password_auth_enabled": False,
                    "tenant_id": client.ref("tenant_id"),
                }
            ],
            "identity": [{"type": "UserAssigned", "identity_ids": [key.identity.ref("id")]}],
            "customer_managed_key": [
                {
                    "key_vault_key_id": b.key_arn,
                    "primary_user_assigned_identity_id": key.identity.ref("id"),
                }
            ],
        },
        ignore_changes=["zone", "high_availability[0].standby_availability_zone"],
    )
    for name, value in PARAMETERS.items():
        b.add(
            f"database_{name}",
            "azurerm_postgresql_flexible_server_configuration",
            {"name": name, "server_id": server.ref("id"), "value": value},
        )
    lock(b, "database_lock", server)
    audit(b, "database_audit", server, workspace)
    return server


def storage(b: StackBuilder, group: Resource, key: Key, workspace: str) -> Resource:
    account = b.add(
        "bucket",
        "azurerm_storage_account",
        {
            "name": b.values.need("bucket").bucket_base_name,
            "resource_group_name": group.ref("name"),
            "location": b.region,
            "account_kind": "StorageV2",
            "account_tier": "Standard",
            "account_replication_type": "ZRS",
            "min_tls_version": "TLS1_2",
            "https_traffic_only_enabled": True,
            "allow_nested_items_to_be_public": False,
            "public_network_access_enabled": False,
            "shared_access_key_enabled": False,
            "default_to_oauth_authentication": True,
            "infrastructure_encryption_enabled": True,
            "network_rules": [{"default_action": "Deny", "bypass": ["AzureServices"]}],
            "blob_properties": [
                {
                    "versioning_enabled": True,
                    "delete_retention_policy": [{"days": NONCURRENT_DAYS}],
                    "container_delete_retention_policy": [{"days": NONCURRENT_DAYS}],
                }
            ],
            "identity": [{"type": "UserAssigned", "identity_ids": [key.identity.ref("id")]}],
            "customer_managed_key": [
                {
                    "key_vault_key_id": b.key_arn,
                    "user_assigned_identity_id": key.identity.ref("id"),
                }
            ],
        },
    )
    b.add(
        "bucket_data",
        "azurerm_storage_container",
        {
            "name": "data",
            "storage_account_id": account.ref("id"),
            "container_access_type": "private",
        },
    )
    lock(b, "bucket_lock", account)
    audit(b, "bucket_audit", account.ref("id") + "/blobServices/default", workspace)
    return account


def lock(b: StackBuilder, id: str, store: Resource) -> None:
    """Azure's own deletion protection: nothing deletes a locked resource until the lock
    is removed, which takes a deliberate change."""
    b.add(
        id,
        "azurerm_management_lock",
        {
            "name": "paybill-keep-data",
            "scope": store.ref("id"),
            "lock_level": "CanNotDelete",
            "notes": "Holds tenant data: remove through confirmDestroy and offboarding only",
        },
    )


def audit(b: StackBuilder, id: str, target: Resource | str, workspace: str) -> None:
    """Every audit and access log of `target` to the stack's (or the pool's) workspace."""
    b.add(
        id,
        "azurerm_monitor_diagnostic_setting",
        {
            "name": "paybill-audit",
            "target_resource_id": target.ref("id") if isinstance(target, Resource) else target,
            "log_analytics_workspace_id": workspace,
            "enabled_log": [{"category_group": "audit"}, {"category_group": "allLogs"}],
        },
    )
