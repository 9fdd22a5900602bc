"""The Azure driver's rules: the azurerm provider, the types it emits, and its aspects.

* `Tagging`: the stack's tags on every resource whose schema has `tags`.
* `KeyEncryption`: every store of data at rest must be encrypted with the stack's key (a
  `customer_managed_key` block naming a Key Vault key); a type nobody classified fails.
* `Protection`: data stores get `lifecycle.prevent_destroy` (unless `confirmDestroy` names
  them); the builders add the provider's own protection beside it (a `CanNotDelete`
  management lock on the database and the storage account, purge protection on the vault).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler.emit.stacks.aspects import Tagging
from compiler.emit.stacks.clouds.aspects import KeyEncryption, KeyOf, Protection
from compiler.emit.stacks.rules import CloudRules

SOURCE = "hashicorp/azurerm"
RULES = "compiler/emit/stacks/clouds/azure/rules.py"
VERSION = "5.10.0"  # the version of the committed schema (compiler/providers/data/azure.json.gz)

TAGGABLE: frozenset[str] = frozenset(
    {
        "azurerm_api_management",
        "azurerm_container_app",
        "azurerm_container_app_environment",
        "azurerm_key_vault",
        "azurerm_key_vault_key",
        "azurerm_log_analytics_workspace",
        "azurerm_network_security_group",
        "azurerm_postgresql_flexible_server",
        "azurerm_private_dns_zone",
        "azurerm_private_dns_zone_virtual_network_link",
        "azurerm_resource_group",
        "azurerm_storage_account",
        "azurerm_user_assigned_identity",
        "azurerm_virtual_network",
    }
)


def _customer_key(attributes: dict[str, Any]) -> Any:
    return (attributes.get("customer_managed_key") or [{}])[0].get("key_vault_key_id")


# Stores of data at rest: each must name the stack's key in `customer_managed_key`.
ENCRYPTED: Mapping[str, KeyOf] = {
    "azurerm_postgresql_flexible_server": _customer_key,
    "azurerm_storage_account": _customer_key,
}
# Types that hold no data at rest of their own, or whose data Azure encrypts with keys it
# manages and that take no customer key in this provider version (the workspace: see
# docs/clouds.md, a dedicated cluster would be needed).
NO_DATA_AT_REST: frozenset[str] = frozenset(
    {
        "azurerm_api_management",
        "azurerm_api_management_api",
        "azurerm_api_management_product",
        "azurerm_api_management_product_api",
        "azurerm_api_management_product_policy",
        "azurerm_api_management_subscription",
        "azurerm_container_app",
        "azurerm_container_app_environment",
        "azurerm_key_vault",
        "azurerm_key_vault_key",
        "azurerm_log_analytics_workspace",
        "azurerm_management_lock",
        "azurerm_monitor_diagnostic_setting",
        "azurerm_network_security_group",
        "azurerm_postgresql_flexible_server_configuration",
        "azurerm_private_dns_zone",
        "azurerm_private_dns_zone_virtual_network_link",
        "azurerm_resource_group",
        "azurerm_role_assignment",
        "azurerm_storage_container",
        "azurerm_subnet",
        "azurerm_subnet_network_security_group_association",
        "azurerm_user_assigned_identity",
        "azurerm_virtual_network",
    }
)
RESOURCE_TYPES = frozenset(ENCRYPTED) | NO_DATA_AT_REST
# Data stores (compiler.resolve.shapes.PROTECTED_STORES). The vault is not one: it cannot be
# destroyed while its protected key exists, and purge protection keeps it recoverable.
PROTECTED: frozenset[str] = frozenset(
    {
        "azurerm_key_vault_key",
        "azurerm_log_analytics_workspace",
        "azurerm_postgresql_flexible_server",
        "azurerm_storage_account",
    }
)


def _aspects(b: Any) -> list[Any]:
    return [
        Tagging(b.tags, TAGGABLE),
        KeyEncryption(b.key_arn, ENCRYPTED, NO_DATA_AT_REST, RULES),
        Protection(PROTECTED, b.confirm_destroy),
    ]


AZURE_RULES = CloudRules(
    cloud="azure",
    provider="azurerm",
    source=SOURCE,
    version=VERSION,
    resource_types=RESOURCE_TYPES,
    data_source_types=frozenset({"azurerm_client_config"}),
    aspects=_aspects,
)
