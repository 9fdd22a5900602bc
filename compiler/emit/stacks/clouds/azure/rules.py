"""The Azure driver's rules: the azurerm provider, the types it emits, and its aspects.

* `Tagging`: the stack's tags on every resource whose schema has `tags`.
* `Encryption`: every store of data at rest must be encrypted with the stack's key (a
  `customer_managed_key` block naming a Key Vault key); a type nobody classified fails.
* `Protection`: data stores get `lifecycle.prevent_destroy` (unless `confirmDestroy` names
  them); the builders add the provider's own protection beside it (a `CanNotDelete`
  management lock on the database and the storage account, purge protection on the vault).
"""

from __future__ import annotations

from typing import Any

from compiler.emit.stacks.aspects import Tagging
from compiler.emit.stacks.cdk import IAspect, IConstruct, Resource, implements
from compiler.emit.stacks.rules import CloudRules

SOURCE = "hashicorp/azurerm"
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
# Stores of data at rest: each must name the stack's key in `customer_managed_key`.
ENCRYPTED: frozenset[str] = frozenset(
    {"azurerm_postgresql_flexible_server", "azurerm_storage_account"}
)
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
RESOURCE_TYPES = ENCRYPTED | NO_DATA_AT_REST
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


@implements(IAspect)
class Encryption:
    def __init__(self, key_id: str | None) -> None:
        self.key_id = key_id

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, Resource):
            return
        if node.type in ENCRYPTED:
            keys = node.attributes.get("customer_managed_key") or [{}]
            if self.key_id is None or keys[0].get("key_vault_key_id") != self.key_id:
                raise ValueError(
                    f"{node.type} '{node.node.id}' stores data, but is not encrypted with "
                    "its stack's key"
                )
        elif node.type not in NO_DATA_AT_REST:
            raise ValueError(
                f"resource type {node.type} is not classified for encryption at rest; add "
                "it to ENCRYPTED or NO_DATA_AT_REST in compiler/emit/stacks/clouds/azure/rules.py"
            )


@implements(IAspect)
class Protection:
    def __init__(self, confirmed: tuple[str, ...]) -> None:
        self.confirmed = frozenset(confirmed)

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, Resource) and node.type in PROTECTED:
            node.protect(prevent_destroy=node.address not in self.confirmed)


def _aspects(b: Any) -> list[Any]:
    return [Tagging(b.tags, TAGGABLE), Encryption(b.key_arn), Protection(b.confirm_destroy)]


AZURE_RULES = CloudRules(
    cloud="azure",
    provider="azurerm",
    source=SOURCE,
    version=VERSION,
    resource_types=RESOURCE_TYPES,
    data_source_types=frozenset({"azurerm_client_config"}),
    aspects=_aspects,
)
