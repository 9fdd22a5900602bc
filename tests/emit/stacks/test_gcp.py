"""The GCP driver on the multi-cloud example: every module and stack valid against its
schema (test_schema.py), what every driver does (test_drivers.py), and its own lifecycle
(suspend, offboard, protection) and security on the emitted JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compiler.emit import Artifact
from tests.emit.stacks.compiled import cloud_modules, cloud_stacks, resources

Stacks = dict[str, dict[str, Any]]
KEY = "${google_kms_crypto_key.key.id}"


@pytest.fixture(scope="module")
def gcp(compiled_sets: dict[str, list[Artifact]]) -> Stacks:
    return cloud_stacks(compiled_sets["multi-cloud"], "google")


@pytest.fixture(scope="module")
def modules(family_sets: dict[str, list[Artifact]]) -> dict[str, bytes]:
    return cloud_modules(family_sets["multi-cloud"], "gcp")


def test_stacks_keep_state_in_gcs_and_name_the_project_only(gcp: Stacks) -> None:
    for name, stack in gcp.items():
        assert stack["terraform"]["backend"] == {
            "gcs": {"bucket": "ledgerly-tf", "prefix": name}
        }, name
        (provider,) = stack["provider"]["google"]
        assert provider == {"project": "ledgerly-prod", "region": "europe-west1"}, name
    remote = gcp["tenant-gcp-bridge"]["data"]["terraform_remote_state"]["pool"]
    assert remote["backend"] == "gcs"
    assert remote["config"] == {"bucket": "ledgerly-tf", "prefix": "pool-eu-gcp"}


def test_every_store_is_encrypted_private_and_protected(gcp: Stacks) -> None:
    silo = gcp["tenant-gcp-silo"]
    (instance,) = resources(silo, "google_sql_database_instance").values()
    assert instance["encryption_key_name"] == KEY
    assert instance["deletion_protection"] is True
    (settings,) = instance["settings"]
    assert settings["deletion_protection_enabled"] is True
    assert settings["final_backup_config"] == [{"enabled": True, "retention_days": 30}]
    assert settings["backup_configuration"][0]["enabled"] is True
    (ip,) = settings["ip_configuration"]
    assert ip["ipv4_enabled"] is False
    assert ip["ssl_mode"] == "ENCRYPTED_ONLY"
    assert ip["private_network"] == "${google_compute_network.network.id}"
    (bucket,) = resources(silo, "google_storage_bucket").values()
    assert bucket["encryption"] == [{"default_kms_key_name": KEY}]
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["versioning"] == [{"enabled": True}]
    assert bucket["force_destroy"] is False
    (secret,) = resources(silo, "google_secret_manager_secret").values()
    (replica,) = secret["replication"][0]["user_managed"][0]["replicas"]
    assert replica["customer_managed_encryption"] == [{"kms_key_name": KEY}]
    assert "google_secret_manager_secret_version" not in silo["resource"]  # no value here
    (key,) = resources(silo, "google_kms_crypto_key").values()
    assert key["rotation_period"] == "7776000s"
    (logs,) = resources(silo, "google_logging_project_bucket_config").values()
    assert logs["cmek_settings"] == [{"kms_key_name": KEY}]


def test_suspended_tenants_key_is_revoked_and_its_service_runs_nothing(gcp: Stacks) -> None:
    active = gcp["tenant-gcp-silo"]
    suspended = gcp["tenant-gcp-suspended"]
    (app,) = resources(suspended, "google_apigee_developer_app").values()
    assert app["status"] == '${false ? "approved" : "revoked"}'
    (product,) = resources(suspended, "google_apigee_api_product").values()
    assert product["quota"] == "0"
    (service,) = resources(suspended, "google_cloud_run_v2_service").values()
    assert service["scaling"] == [
        {
            "manual_instance_count": "${0 == 0 ? 0 : null}",
            "scaling_mode": '${0 == 0 ? "MANUAL" : "AUTOMATIC"}',
        }
    ]
    (running,) = resources(active, "google_apigee_developer_app").values()
    assert running["status"] == '${true ? "approved" : "revoked"}'
    (limited,) = resources(active, "google_apigee_api_product").values()
    assert (limited["quota"], limited["quota_time_unit"]) == ("${200 * 60}", "minute")
    (serving,) = resources(active, "google_cloud_run_v2_service").values()
    assert serving["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert serving["template"][0]["scaling"][0]["min_instance_count"] == 2


def test_an_offboarding_silo_keeps_its_data_and_loses_its_service(
    modules: dict[str, bytes],
) -> None:
    idle = json.loads(modules["gcp-silo-idle-blocked"])["resource"]
    assert "google_cloud_run_v2_service" not in idle
    assert "google_apigee_environment" not in idle
    assert "google_apigee_api_product" not in idle
    for store in ("google_sql_database_instance", "google_storage_bucket", "google_kms_crypto_key"):
        assert store in idle


def test_a_pooled_tenant_reaches_only_its_prefix_and_the_pools_instance(gcp: Stacks) -> None:
    pooled = gcp["tenant-gcp-pooled"]
    (objects,) = resources(pooled, "google_storage_bucket_iam_member").values()
    (condition,) = objects["condition"]
    pool_bucket = "${data.terraform_remote_state.pool.outputs.bucket_name}"
    assert condition["expression"] == (
        f'resource.name.startsWith("projects/_/buckets/{pool_bucket}/objects/tenants/gcp-pooled/")'
    )
    for grant in resources(pooled, "google_project_iam_member").values():
        assert grant["condition"][0]["expression"].endswith(
            '/instances/${data.terraform_remote_state.pool.outputs.database_instance}"'
        )
