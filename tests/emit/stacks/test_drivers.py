"""What every cloud's driver but AWS's must do on the multi-cloud example, the same way:
each isolation model's stacks exist, a misspelled attribute in an emitted resource is
caught with stack, resource and attribute named, and each module protects exactly the data
stores of its kind (AWS's: test_conformance.py). Each cloud's own lifecycle and security:
test_azure.py, test_gcp.py, test_oci.py, test_ibm.py."""

from __future__ import annotations

import json

import pytest

from compiler.emit import Artifact
from compiler.emit.stacks.cdk import Resource, new_stack
from compiler.emit.stacks.clouds import gcp
from compiler.emit.stacks.clouds.aspects import KeyEncryption
from compiler.emit.stacks.components import Component, provisions
from compiler.errors import SpecError
from compiler.providers import check_documents
from compiler.resolve.shapes import Shape, stores_of
from tests.emit.stacks.compiled import cloud_modules, cloud_stacks

# cloud -> (its provider, a resource of its silo module and an attribute of it)
CLOUDS = {
    "azure": (
        "azurerm",
        "azurerm_postgresql_flexible_server",
        "database",
        "public_network_access_enabled",
    ),
    "gcp": ("google", "google_sql_database_instance", "database", "deletion_protection"),
    "oci": ("oci", "oci_objectstorage_bucket", "bucket", "access_type"),
    "ibm": ("ibm", "ibm_cos_bucket", "bucket", "kms_key_crn"),
}
# IBM Cloud has no API product with quotas: its tenants' API is never limited, so it has
# no limited modules (9 rather than 12).
API = {"ibm": "unlimited"}
MODULES = {"ibm": 9}


# cloud -> the resource type each component is there (where a stack has its own)
OWN: dict[str, dict[Component, str]] = {
    "azure": {
        "database": "azurerm_postgresql_flexible_server",
        "storage": "azurerm_storage_account",
        "key": "azurerm_key_vault_key",
        "network": "azurerm_virtual_network",
        "api": "azurerm_api_management",
        "logs": "azurerm_log_analytics_workspace",
    },
    "gcp": {
        "database": "google_sql_database_instance",
        "secret": "google_secret_manager_secret",
        "storage": "google_storage_bucket",
        "key": "google_kms_crypto_key",
        "network": "google_compute_network",
        "api": "google_apigee_environment",
        "logs": "google_logging_project_bucket_config",
    },
    "oci": {
        "database": "oci_psql_db_system",
        "storage": "oci_objectstorage_bucket",
        "key": "oci_kms_key",
        "network": "oci_core_vcn",
        "api": "oci_apigateway_gateway",
        "logs": "oci_logging_log_group",
    },
    # The log bucket is an ibm_cos_bucket like the data bucket: test_ibm.py tells them apart.
    "ibm": {
        "database": "ibm_database",
        "secret": "ibm_sm_username_password_secret",
        "storage": "ibm_cos_bucket",
        "key": "ibm_kms_key",
        "network": "ibm_is_vpc",
        "compute": "ibm_code_engine_project",
    },
}


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
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
    family_sets: dict[str, list[Artifact]], cloud: str, kind: str, workload: str, api: str
) -> None:
    """The same meaning as on AWS: own stores where the model says own, none where pool."""
    api = API.get(cloud, api) if api else api
    shape = Shape(cloud, kind, workload, api)  # type: ignore[arg-type]
    document = json.loads(cloud_modules(family_sets["multi-cloud"], cloud)[shape.name])
    given = provisions(shape)
    for component, type_ in OWN[cloud].items():
        assert (type_ in document["resource"]) is (given[component] == "own"), component


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_the_example_has_a_stack_of_each_isolation_model(
    compiled_sets: dict[str, list[Artifact]], cloud: str
) -> None:
    found = cloud_stacks(compiled_sets["multi-cloud"], CLOUDS[cloud][0])
    assert sorted(found) == [
        f"pool-eu-{cloud}",
        f"tenant-{cloud}-bridge",
        f"tenant-{cloud}-pooled",
        f"tenant-{cloud}-silo",
        f"tenant-{cloud}-suspended",
    ]


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_a_misspelled_attribute_is_caught_with_stack_resource_and_attribute(
    family_sets: dict[str, list[Artifact]], cloud: str
) -> None:
    _, kind, name, attribute = CLOUDS[cloud]
    silo = f"{cloud}-silo-service-{API.get(cloud, 'limited')}"
    module = cloud_modules(family_sets["multi-cloud"], cloud)[silo]
    document = json.loads(module)
    resource = document["resource"][kind][name]
    misspelled = attribute.replace("_", "", 1)
    resource[misspelled] = resource.pop(attribute)
    with pytest.raises(SpecError) as raised:
        check_documents([("modules/x/cdk.tf.json", "module x", json.dumps(document).encode())])
    message = str(raised.value)
    assert "module x" in message
    assert f"{kind}.{name}.{misspelled}" in message
    assert "unknown attribute" in message


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_modules_protect_exactly_the_stores_of_their_kind(
    family_sets: dict[str, list[Artifact]], cloud: str
) -> None:
    modules = cloud_modules(family_sets["multi-cloud"], cloud)
    assert len(modules) == MODULES.get(cloud, 12)
    for name, content in modules.items():
        document = json.loads(content)
        protected = {
            f"{kind}.{resource}"
            for kind, items in document["resource"].items()
            for resource, body in items.items()
            if body.get("lifecycle", {}).get("prevent_destroy")
        }
        assert protected == stores_of(cloud, name.split("-")[1]), name


def test_a_store_not_encrypted_with_the_stacks_key_or_a_type_nobody_classified_fails() -> None:
    rules = gcp.rules
    check = KeyEncryption("mine", rules.ENCRYPTED, rules.NO_DATA_AT_REST, rules.RULES)
    stack = new_stack("encryption")
    theirs = {"encryption": [{"default_kms_key_name": "theirs"}]}
    with pytest.raises(ValueError, match="'bucket' stores data, but is not encrypted with its"):
        check.visit(Resource(stack, "bucket", "google_storage_bucket", theirs))
    with pytest.raises(ValueError, match="google_bigquery_dataset is not classified"):
        check.visit(Resource(stack, "dataset", "google_bigquery_dataset", {}))
    mine = {"encryption": [{"default_kms_key_name": "mine"}]}
    check.visit(Resource(stack, "own", "google_storage_bucket", mine))  # passes
