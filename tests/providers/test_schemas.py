"""The committed schemas: each names the provider version it was made from, holds the types
the drivers will need, and (IBM, written by hand) exactly the types the IBM driver
emits."""

from __future__ import annotations

import json

import pytest

from compiler.providers import load_schema
from compiler.providers.schemas import PROVIDERS, schema_path

VERSIONS = {
    "aws": "hashicorp/aws 5.100.0",
    "azure": "hashicorp/azurerm 5.10.0",
    "gcp": "hashicorp/google 8.7.0",
    "oci": "oracle/oci 7.19.0",
    "ibm": "ibm-cloud/ibm 2.5.0",
}
# What the drivers are to map the component model to (docs/clouds.md, "Resource types").
NEEDED = {
    "azure": "resource_group virtual_network subnet network_security_group "
    "private_dns_zone private_dns_zone_virtual_network_link postgresql_flexible_server "
    "key_vault key_vault_key key_vault_secret user_assigned_identity storage_account "
    "storage_account_customer_managed_key container_app container_app_environment "
    "api_management api_management_product api_management_subscription servicebus_namespace "
    "servicebus_queue log_analytics_workspace monitor_diagnostic_setting management_lock",
    "gcp": "compute_network compute_subnetwork compute_firewall compute_global_address "
    "service_networking_connection sql_database_instance sql_database sql_user kms_key_ring "
    "kms_crypto_key kms_crypto_key_iam_member storage_bucket secret_manager_secret "
    "secret_manager_secret_version cloud_run_v2_service service_account apigee_organization "
    "apigee_instance apigee_environment apigee_api_product apigee_developer apigee_developer_app "
    "pubsub_topic pubsub_subscription logging_project_sink",
    "oci": "core_vcn core_subnet core_network_security_group "
    "core_network_security_group_security_rule core_service_gateway core_nat_gateway "
    "core_route_table psql_db_system psql_configuration kms_vault kms_key objectstorage_bucket "
    "vault_secret container_instances_container_instance apigateway_gateway "
    "apigateway_deployment apigateway_usage_plan apigateway_subscriber queue_queue "
    "logging_log_group logging_log identity_policy",
}
PREFIX = {"azure": "azurerm_", "gcp": "google_", "oci": "oci_"}
IBM_TYPES = {
    "ibm_is_vpc",
    "ibm_is_subnet",
    "ibm_is_security_group",
    "ibm_is_security_group_rule",
    "ibm_database",
    "ibm_kms_key",
    "ibm_kms_key_policies",
    "ibm_cos_bucket",
    "ibm_code_engine_project",
    "ibm_code_engine_app",
    "ibm_resource_instance",
    "ibm_iam_authorization_policy",
    "ibm_is_vpc_address_prefix",
    "ibm_iam_trusted_profile",
    "ibm_iam_trusted_profile_link",
    "ibm_iam_trusted_profile_policy",
    "ibm_is_virtual_endpoint_gateway",
    "ibm_sm_username_password_secret",
}


@pytest.mark.parametrize("cloud", sorted(PROVIDERS))
def test_each_schema_is_of_the_pinned_provider_version(cloud: str) -> None:
    assert load_schema(cloud).label == VERSIONS[cloud]


@pytest.mark.parametrize("cloud", sorted(NEEDED))
def test_the_types_the_drivers_need_are_in_the_rebuilt_schemas(cloud: str) -> None:
    resources = load_schema(cloud).resources
    assert [t for t in NEEDED[cloud].split() if PREFIX[cloud] + t not in resources] == []


def test_the_google_provider_has_no_api_gateway_it_is_beta_only() -> None:
    """Why the GCP driver's API product is Apigee: API Gateway is in google-beta only."""
    resources = load_schema("gcp").resources
    assert "google_api_gateway_gateway" not in resources
    quotas = resources["google_apigee_api_product"]["attributes"]
    assert {"quota", "quota_interval", "quota_time_unit"} <= set(quotas)


def test_the_ibm_schema_holds_exactly_the_types_the_ibm_driver_emits() -> None:
    schema = load_schema("ibm")
    assert set(schema.resources) == IBM_TYPES
    assert set(schema.data_sources) == {"ibm_resource_group"}
    written = json.loads(schema_path("ibm").read_bytes())["extracted_from"]
    assert sorted(written["files"]) == sorted(
        [*IBM_TYPES, "ibm_resource_group (data source)", "provider"]
    )
    database = schema.resources["ibm_database"]
    assert {"deletion_protection", "key_protect_key", "service"} <= set(database["attributes"])
    bucket = schema.resources["ibm_cos_bucket"]
    assert "kms_key_crn" in bucket["attributes"]
    assert "object_versioning" in bucket["block_types"]


def test_ibm_secrets_manager_type_carries_the_instance_fields_the_provider_adds() -> None:
    """`secretsmanager.AddInstanceFields` adds them where the provider registers the type:
    a secret without `instance_id` is refused by the provider, so by the schema too."""
    resources = load_schema("ibm").resources
    generated = resources["ibm_sm_username_password_secret"]
    attributes = generated["attributes"]
    assert attributes["instance_id"].get("required") is True
    assert {"region", "endpoint_type"} <= set(attributes)
    assert attributes["password"].get("optional") is True  # omitted: generated
    assert "password_generation_policy" in generated["block_types"]
    prefix = resources["ibm_is_vpc_address_prefix"]["attributes"]
    assert all(prefix[a].get("required") for a in ("cidr", "name", "vpc", "zone"))
    # deprecated in 2.5.0: the driver names a profile by its IAM id
    policy = resources["ibm_iam_trusted_profile_policy"]["attributes"]
    assert policy["profile_id"].get("deprecated") is True
