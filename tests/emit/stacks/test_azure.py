"""The Azure driver on the multi-cloud example: every module and stack valid against the
azurerm schema (test_schema.py), a misspelled attribute caught with stack, resource and
attribute named, and the lifecycle (suspend, offboard, protection) on the emitted JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compiler.emit import Artifact
from compiler.emit.stacks.components import provisions
from compiler.errors import SpecError
from compiler.providers import check_documents
from compiler.resolve.shapes import Shape, stores_of
from tests.emit.stacks.compiled import resources

Stacks = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def azure(compiled_sets: dict[str, list[Artifact]]) -> Stacks:
    stacks = {a.path.split("/")[1]: json.loads(a.content) for a in compiled_sets["multi-cloud"]}
    return {name: stack for name, stack in stacks.items() if "azurerm" in stack["provider"]}


@pytest.fixture(scope="module")
def modules(family_sets: dict[str, list[Artifact]]) -> dict[str, bytes]:
    return {
        a.path.split("/")[1]: a.content
        for a in family_sets["multi-cloud"]
        if a.path.startswith("modules/azure-") and a.path.endswith("/cdk.tf.json")
    }


def test_the_example_has_every_azure_stack(azure: Stacks) -> None:
    assert sorted(azure) == [
        "pool-eu-azure",
        "tenant-azure-bridge",
        "tenant-azure-pooled",
        "tenant-azure-silo",
        "tenant-azure-suspended",
    ]


def test_a_misspelled_attribute_is_caught_with_stack_resource_and_attribute(
    modules: dict[str, bytes],
) -> None:
    document = json.loads(modules["azure-silo-service-limited"])
    server = document["resource"]["azurerm_postgresql_flexible_server"]["database"]
    server["public_network_acess_enabled"] = server.pop("public_network_access_enabled")
    with pytest.raises(SpecError) as raised:
        check_documents([("modules/x/cdk.tf.json", "module x", json.dumps(document).encode())])
    message = str(raised.value)
    assert "module x" in message
    assert "azurerm_postgresql_flexible_server.database.public_network_acess_enabled" in message
    assert "unknown attribute" in message


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


def test_modules_protect_exactly_the_stores_of_their_kind(modules: dict[str, bytes]) -> None:
    for name, content in modules.items():
        document = json.loads(content)
        protected = {
            f"{kind}.{resource}"
            for kind, items in document["resource"].items()
            for resource, body in items.items()
            if body.get("lifecycle", {}).get("prevent_destroy")
        }
        kind = name.split("-")[1]
        assert protected == stores_of("azure", kind), name


def test_an_offboarding_silo_keeps_its_data_and_loses_its_service(
    modules: dict[str, bytes],
) -> None:
    idle = json.loads(modules["azure-silo-idle-blocked"])["resource"]
    assert "azurerm_container_app" not in idle
    assert "azurerm_api_management" not in idle
    for store in ("azurerm_postgresql_flexible_server", "azurerm_storage_account"):
        assert store in idle


@pytest.mark.parametrize(
    ("kind", "workload", "api"),
    [
        ("pool", "", ""),
        ("silo", "service", "limited"),
        ("bridge", "service", "limited"),
        ("pooled", "shared", "limited"),
    ],
)
def test_modules_have_what_their_isolation_model_provisions(
    modules: dict[str, bytes], kind: str, workload: str, api: str
) -> None:
    """The same meaning as on AWS: own stores where the model says own, none where pool."""
    shape = Shape("azure", kind, workload, api)  # type: ignore[arg-type]
    document = json.loads(modules[shape.name])["resource"]
    given = provisions(shape)
    assert ("azurerm_postgresql_flexible_server" in document) is (given["database"] == "own")
    assert ("azurerm_storage_account" in document) is (given["storage"] == "own")
    assert ("azurerm_key_vault_key" in document) is (given["key"] == "own")
    assert ("azurerm_virtual_network" in document) is (given["network"] == "own")
    assert ("azurerm_api_management" in document) is (given["api"] == "own")
