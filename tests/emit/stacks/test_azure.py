"""The Azure driver on the multi-cloud example: every module and stack valid against its
schema (test_schema.py), what every driver does (test_drivers.py), and its own lifecycle
(suspend, offboard, protection) and security on the emitted JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compiler.emit import Artifact
from tests.emit.stacks.compiled import cloud_modules, cloud_stacks, resources

Stacks = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def azure(compiled_sets: dict[str, list[Artifact]]) -> Stacks:
    return cloud_stacks(compiled_sets["multi-cloud"], "azurerm")


@pytest.fixture(scope="module")
def modules(family_sets: dict[str, list[Artifact]]) -> dict[str, bytes]:
    return cloud_modules(family_sets["multi-cloud"], "azure")


def test_every_store_is_encrypted_private_and_protected(azure: Stacks) -> None:
    silo = azure["tenant-azure-silo"]
    (server,) = resources(silo, "azurerm_postgresql_flexible_server").values()
    assert server["public_network_access_enabled"] is False
    assert server["authentication"] == [
        {
            "active_directory_auth_enabled": True,
            "password_auth_enabled": False,
            "tenant_id": "${data.azurerm_client_config.client.tenant_id}",
        }
    ]
    key_id = "${azurerm_key_vault_key.key.versionless_id}"
    assert server["customer_managed_key"][0]["key_vault_key_id"] == key_id
    (account,) = resources(silo, "azurerm_storage_account").values()
    assert account["customer_managed_key"][0]["key_vault_key_id"] == key_id
    assert account["public_network_access_enabled"] is False
    assert account["allow_nested_items_to_be_public"] is False
    assert account["shared_access_key_enabled"] is False
    (vault,) = resources(silo, "azurerm_key_vault").values()
    assert vault["purge_protection_enabled"] is True
    locks = resources(silo, "azurerm_management_lock")
    assert {lock["scope"] for lock in locks.values()} == {
        "${azurerm_postgresql_flexible_server.database.id}",
        "${azurerm_storage_account.bucket.id}",
    }
    assert all(lock["lock_level"] == "CanNotDelete" for lock in locks.values())


def test_suspended_tenants_subscription_is_suspended_and_answers_nothing(azure: Stacks) -> None:
    active = azure["tenant-azure-silo"]
    suspended = azure["tenant-azure-suspended"]
    (subscription,) = resources(suspended, "azurerm_api_management_subscription").values()
    assert subscription["state"] == '${false ? "active" : "suspended"}'
    (policy,) = resources(suspended, "azurerm_api_management_product_policy").values()
    assert '<set-status code="429"' in policy["xml_content"]
    (service,) = resources(suspended, "azurerm_container_app").values()
    assert service["template"][0]["min_replicas"] == service["template"][0]["max_replicas"] == 0
    (running,) = resources(active, "azurerm_api_management_subscription").values()
    assert running["state"] == '${true ? "active" : "suspended"}'
    (limited,) = resources(active, "azurerm_api_management_product_policy").values()
    assert '<rate-limit calls="200" renewal-period="1" />' in limited["xml_content"]


def test_an_offboarding_silo_keeps_its_data_and_loses_its_service(
    modules: dict[str, bytes],
) -> None:
    idle = json.loads(modules["azure-silo-idle-blocked"])["resource"]
    assert "azurerm_container_app" not in idle
    assert "azurerm_api_management" not in idle
    for store in ("azurerm_postgresql_flexible_server", "azurerm_storage_account"):
        assert store in idle
