"""What each isolation model and lifecycle state provisions (tests/emit/stacks/specs.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from compiler.emit import Artifact
from compiler.emit.stacks.aspects import S3_MANAGED_KEYS, TAGGABLE
from tests.emit.stacks.compiled import all_resources, resources
from tests.emit.stacks.conftest import SET_NAMES

Stacks = dict[str, dict[str, Any]]
POOL = "${data.terraform_remote_state.pool.outputs.%s}"
COMPUTE = {
    "aws_ecs_task_definition",
    "aws_ecs_service",
    "aws_appautoscaling_target",
    "aws_appautoscaling_policy",
    "aws_iam_role_policy_attachment",
}


SECRET_KEYS = {"password", "password_wo", "access_key", "secret_key", "token"}


def key_values(data: Any, key: str) -> list[Any]:
    """The value of every `key` anywhere in `data`."""
    if isinstance(data, dict):
        own = [data[key]] if key in data else []
        return own + [v for value in data.values() for v in key_values(value, key)]
    if isinstance(data, list):
        return [v for value in data for v in key_values(value, key)]
    return []


def keys(data: Any) -> set[str]:
    """Every object key anywhere in `data`."""
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys(v)}
    return set()


def types(stack: dict[str, Any]) -> set[str]:
    return set(stack.get("resource", {}))


def one(stack: dict[str, Any], type_: str) -> dict[str, Any]:
    (body,) = resources(stack, type_).values()
    return body


def statements(stack: dict[str, Any], document: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = stack["data"]["aws_iam_policy_document"][document]["statement"]
    return found


def test_one_stack_per_pool_and_per_tenant_not_deleted(behaviour: Stacks) -> None:
    assert sorted(behaviour) == [
        "pool-shared",
        "tenant-bridged",
        "tenant-bridged-lite",
        "tenant-leaving",
        "tenant-leaving-bridged",
        "tenant-paused",
        "tenant-paused-pooled",
        "tenant-pooled",
        "tenant-pooled-free",
        "tenant-siloed",
        "tenant-starting",
    ]


def test_pool_provisions_the_shared_infrastructure(behaviour: Stacks) -> None:
    pool = behaviour["pool-shared"]
    assert types(pool) >= {
        "aws_vpc",
        "aws_subnet",
        "aws_security_group",
        "aws_db_instance",
        "aws_s3_bucket",
        "aws_kms_key",
        "aws_ecs_cluster",
    }
    assert one(pool, "aws_vpc")["cidr_block"] == "10.1.0.0/16"
    subnets = resources(pool, "aws_subnet")
    assert [s["cidr_block"] for s in subnets.values()] == [
        "10.1.0.0/20",
        "10.1.16.0/20",
        "10.1.32.0/20",
    ]
    assert [s["availability_zone"] for s in subnets.values()] == [
        f"${{element(data.aws_availability_zones.zones.names, {i})}}" for i in range(3)
    ]
    db = one(pool, "aws_db_instance")
    assert (db["instance_class"], db["allocated_storage"], db["engine_version"]) == (
        "db.r6g.large",
        200,
        "15",
    )
    assert db["manage_master_user_password"] is True
    assert db["publicly_accessible"] is False
    # Objects are encrypted per object, so the tenant prefix is part of the KMS context.
    encryption = resources(pool, "aws_s3_bucket_server_side_encryption_configuration")
    assert encryption["bucket_encryption"]["rule"][0]["bucket_key_enabled"] is False
    assert sorted(pool["output"]) == [
        "api_id",
        "api_stage_name",
        "bucket_arn",
        "bucket_name",
        "cluster_arn",
        "cluster_name",
        "database_address",
        "database_master_secret_arn",
        "database_resource_id",
        "database_security_group_id",
        "database_subnet_group_name",
        "key_arn",
        "log_bucket_name",
        "log_group_name",
        "private_subnet_ids",
        "vpc_id",
        "workload_role_arn",
        "workload_security_group_id",
    ]


def test_pool_stack_names_no_tenant(compiled_sets: dict[str, list[Artifact]]) -> None:
    for artifacts in compiled_sets.values():
        stacks = [a.path.split("/")[1] for a in artifacts]
        tenants = [s.removeprefix("tenant-") for s in stacks if s.startswith("tenant-")]
        assert tenants
        for pool in (a for a in artifacts if a.path.startswith("stacks/pool-")):
            text = pool.content.decode()
            assert [t for t in tenants if re.search(rf"\b{re.escape(t)}\b", text)] == []


def test_silo_dedicates_everything_sized_from_its_plan(behaviour: Stacks) -> None:
    silo = behaviour["tenant-siloed"]
    assert "data" not in silo or "terraform_remote_state" not in silo["data"]
    assert one(silo, "aws_vpc")["cidr_block"] == "10.50.0.0/16"
    assert len(resources(silo, "aws_subnet")) == 3
    db = one(silo, "aws_db_instance")
    assert (db["instance_class"], db["allocated_storage"], db["engine_version"]) == (
        "db.r6g.xlarge",
        400,
        "16",
    )
    task = one(silo, "aws_ecs_task_definition")
    assert (task["cpu"], task["memory"]) == ("2048", "4096")
    service = one(silo, "aws_ecs_service")
    assert service["cluster"] == "${aws_ecs_cluster.cluster.arn}"
    assert service["desired_count"] == 2
    scaling = one(silo, "aws_appautoscaling_target")
    assert (scaling["min_capacity"], scaling["max_capacity"]) == (2, 6)
    assert len(resources(silo, "aws_kms_key")) == 1
    assert sorted(resources(silo, "aws_s3_bucket")) == ["bucket", "log_bucket"]


def test_bridge_uses_the_pools_network_and_compute_through_remote_state(
    behaviour: Stacks,
) -> None:
    bridge = behaviour["tenant-bridged"]
    assert bridge["data"]["terraform_remote_state"]["pool"] == {
        "backend": "local",
        "config": {"path": "../pool-shared/terraform.tfstate"},
    }
    assert types(bridge).isdisjoint({"aws_vpc", "aws_subnet", "aws_ecs_cluster"})
    db = one(bridge, "aws_db_instance")
    assert db["db_subnet_group_name"] == POOL % "database_subnet_group_name"
    assert db["vpc_security_group_ids"] == ["${aws_security_group.database_sg.id}"]
    assert (db["instance_class"], db["allocated_storage"]) == ("db.t4g.medium", 50)
    assert db["kms_key_id"] == "${aws_kms_key.key.arn}"
    service = one(bridge, "aws_ecs_service")
    assert service["cluster"] == POOL % "cluster_arn"
    assert service["network_configuration"] == [
        {
            "assign_public_ip": False,
            "security_groups": ["${aws_security_group.workload_sg.id}"],
            "subnets": POOL % "private_subnet_ids",
        }
    ]
    scaling = one(bridge, "aws_appautoscaling_target")
    assert scaling["resource_id"] == (
        "service/${data.terraform_remote_state.pool.outputs.cluster_name}"
        "/${aws_ecs_service.service.name}"
    )
    assert len(resources(bridge, "aws_s3_bucket")) == 1


def test_bridge_without_compute_is_served_by_the_pools_workload(behaviour: Stacks) -> None:
    lite = behaviour["tenant-bridged-lite"]
    assert types(lite).isdisjoint(COMPUTE)
    assert statements(lite, "tenant_trust") == [
        {
            "actions": ["sts:AssumeRole", "sts:TagSession"],
            "effect": "Allow",
            "principals": [{"identifiers": [POOL % "workload_role_arn"], "type": "AWS"}],
            "sid": "PoolWorkload",
        }
    ]


def test_pooled_tenant_has_only_tenant_scoped_resources(behaviour: Stacks) -> None:
    pooled = behaviour["tenant-pooled"]
    assert types(pooled) == {
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_api_gateway_usage_plan",
        "aws_api_gateway_api_key",
        "aws_api_gateway_usage_plan_key",
    }
    prefix = "${data.terraform_remote_state.pool.outputs.bucket_arn}/tenants/pooled/*"
    assert statements(pooled, "tenant_policy") == [
        {
            "actions": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "effect": "Allow",
            "resources": [prefix],
            "sid": "TenantObjects",
        },
        {
            "actions": ["s3:ListBucket"],
            "condition": [
                {"test": "StringLike", "values": ["tenants/pooled/*"], "variable": "s3:prefix"}
            ],
            "effect": "Allow",
            "resources": [POOL % "bucket_arn"],
            "sid": "TenantPrefixListing",
        },
        {
            "actions": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            "condition": [
                {
                    "test": "StringEquals",
                    "values": ["pooled"],
                    "variable": "kms:EncryptionContext:tenant",
                }
            ],
            "effect": "Allow",
            "resources": [POOL % "key_arn"],
            "sid": "TenantEncryptionContext",
        },
        {
            "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
            "condition": [
                {
                    "test": "StringEquals",
                    "values": ["s3.eu-west-1.${data.aws_partition.partition.dns_suffix}"],
                    "variable": "kms:ViaService",
                },
                {
                    "test": "StringLike",
                    "values": [prefix],
                    "variable": "kms:EncryptionContext:aws:s3:arn",
                },
            ],
            "effect": "Allow",
            "resources": [POOL % "key_arn"],
            "sid": "TenantObjectsThroughS3",
        },
        {
            "actions": ["rds-db:connect"],
            "effect": "Allow",
            "resources": [
                "arn:${data.aws_partition.partition.partition}:rds-db:eu-west-1:"
                "${data.aws_caller_identity.account.account_id}:dbuser:"
                "${data.terraform_remote_state.pool.outputs.database_resource_id}/login_pooled"
            ],
            "sid": "TenantDatabaseRole",
        },
    ]


@pytest.mark.parametrize(
    ("stack", "enabled", "throttle", "quota"),
    [
        ("tenant-pooled", True, [{"burst_limit": 20, "rate_limit": 10}], None),
        ("tenant-pooled-free", True, None, None),
        ("tenant-starting", False, [{"burst_limit": 80, "rate_limit": 40}], None),
        ("tenant-paused-pooled", False, [{"burst_limit": 0, "rate_limit": 0}], 0),
        ("tenant-leaving-bridged", False, [{"burst_limit": 0, "rate_limit": 0}], 0),
    ],
)
def test_api_limits_follow_plan_and_lifecycle(
    behaviour: Stacks, stack: str, enabled: bool, throttle: Any, quota: int | None
) -> None:
    plan = one(behaviour[stack], "aws_api_gateway_usage_plan")
    assert plan.get("throttle_settings") == throttle
    expected_quota = None if quota is None else [{"limit": quota, "period": "DAY"}]
    assert plan.get("quota_settings") == expected_quota
    assert one(behaviour[stack], "aws_api_gateway_api_key")["enabled"] is enabled


def test_suspended_scales_compute_to_zero_and_keeps_data(behaviour: Stacks) -> None:
    paused = behaviour["tenant-paused"]
    assert one(paused, "aws_ecs_service")["desired_count"] == 0
    scaling = one(paused, "aws_appautoscaling_target")
    assert (scaling["min_capacity"], scaling["max_capacity"]) == (0, 0)
    assert types(paused) >= {"aws_db_instance", "aws_s3_bucket", "aws_kms_key"}
    running = behaviour["tenant-siloed"]
    assert types(paused) == types(running)


@pytest.mark.parametrize("stack", ["tenant-leaving", "tenant-leaving-bridged"])
def test_offboarding_removes_compute_and_keeps_data(behaviour: Stacks, stack: str) -> None:
    leaving = behaviour[stack]
    assert types(leaving).isdisjoint(COMPUTE | {"aws_ecs_cluster"})
    assert "variable" not in leaving
    assert types(leaving) >= {
        "aws_db_instance",
        "aws_s3_bucket",
        "aws_kms_key",
        "aws_cloudwatch_log_group",
        "aws_iam_role",
    }


@pytest.mark.parametrize("name", SET_NAMES)
def test_every_taggable_resource_is_tagged(
    compiled_sets: dict[str, list[Artifact]], name: str
) -> None:
    for artifact in compiled_sets[name]:
        stack = json.loads(artifact.content)
        stack_name = artifact.path.split("/")[1]
        for type_, resource, body in all_resources(stack):
            if type_ not in TAGGABLE:
                continue
            tags = body.get("tags", {})
            assert {"managed-by", "platform", "tenant", "plan", "isolation"} <= set(tags), (
                f"{stack_name} {type_}.{resource}"
            )
            assert tags["managed-by"] == "paybill"
            if stack_name.startswith("tenant-"):
                assert tags["tenant"] == stack_name.removeprefix("tenant-")
            else:
                assert (tags["tenant"], tags["isolation"]) == ("shared", "shared")


def test_tags_name_tenant_plan_and_isolation(behaviour: Stacks) -> None:
    assert one(behaviour["tenant-bridged"], "aws_db_instance")["tags"] == {
        "isolation": "bridge",
        "managed-by": "paybill",
        "plan": "business",
        "platform": "acmecloud",
        "pool": "shared",
        "tenant": "bridged",
    }
    vpc_tags = one(behaviour["tenant-siloed"], "aws_vpc")["tags"]
    assert vpc_tags["Name"] == "acmecloud-tenant-siloed"
    assert "pool" not in vpc_tags


@pytest.mark.parametrize("name", SET_NAMES)
def test_data_stores_are_protected_and_encrypted(
    compiled_sets: dict[str, list[Artifact]], name: str
) -> None:
    for artifact in compiled_sets[name]:
        stack = json.loads(artifact.content)
        key = "${aws_kms_key.key.arn}"
        for db in resources(stack, "aws_db_instance").values():
            assert db["deletion_protection"] is True
            assert db["lifecycle"]["prevent_destroy"] is True
            assert db["skip_final_snapshot"] is False
            assert (db["storage_encrypted"], db["kms_key_id"]) == (True, key)
            assert db["master_user_secret_kms_key_id"] == key
        for bucket in resources(stack, "aws_s3_bucket").values():
            assert bucket["lifecycle"]["prevent_destroy"] is True
            assert bucket["force_destroy"] is False
        for key_body in resources(stack, "aws_kms_key").values():
            assert key_body["lifecycle"]["prevent_destroy"] is True
            assert key_body["enable_key_rotation"] is True
        for logs in resources(stack, "aws_cloudwatch_log_group").values():
            assert logs["kms_key_id"] == key
        buckets = resources(stack, "aws_s3_bucket")
        encryption = resources(stack, "aws_s3_bucket_server_side_encryption_configuration")
        public = resources(stack, "aws_s3_bucket_public_access_block")
        assert len(buckets) == len(encryption) == len(public)
        for config_name, config in encryption.items():
            default = config["rule"][0]["apply_server_side_encryption_by_default"]
            if config_name in S3_MANAGED_KEYS:  # S3 delivers access logs to S3-managed keys only
                assert default == [{"sse_algorithm": "AES256"}]
            else:
                assert default == [{"kms_master_key_id": key, "sse_algorithm": "aws:kms"}]
        for block in public.values():
            assert all(
                block[flag] is True
                for flag in (
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                )
            )


@pytest.mark.parametrize("name", SET_NAMES)
def test_no_secrets_paths_timestamps_or_emulator_settings(
    compiled_sets: dict[str, list[Artifact]], name: str
) -> None:
    for artifact in compiled_sets[name]:
        text = artifact.content.decode()
        stack = json.loads(text)
        # An OCI subscriber's client `token` is read from the Vault when applying: a
        # reference to a generated secret's bundle, never a value.
        assert keys(stack) & SECRET_KEYS <= {"token"}
        for token in key_values(stack, "token"):
            assert re.fullmatch(
                r"\$\{base64decode\(data\.oci_secrets_secretbundle\.\w+\..*\)\}", token
            )
        for api_key in resources(stack, "aws_api_gateway_api_key").values():
            assert "value" not in api_key  # generated by AWS, never written here
        assert not re.search(r"\"/(tmp|home|root|work|Users)/", text)
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)
        if "azurerm" in stack["provider"]:  # an account and OIDC, never a credential
            (provider,) = stack["provider"]["azurerm"]
            assert set(provider) == {
                "features",
                "storage_use_azuread",
                "subscription_id",
                "tenant_id",
                "use_oidc",
            }
            continue
        if "google" in stack["provider"]:  # a project and a region, never a credential
            (provider,) = stack["provider"]["google"]
            assert set(provider) == {"project", "region"}
            continue
        if "oci" in stack["provider"]:  # a region: the tenancy and key are the login's
            (provider,) = stack["provider"]["oci"]
            assert set(provider) == {"region"}
            continue
        if "ibm" in stack["provider"]:  # a region: the account and key are the login's
            (provider,) = stack["provider"]["ibm"]
            assert set(provider) == {"region"}
            # the administrator's password: generated by Secrets Manager, read by reference
            for password in key_values(stack, "adminpassword"):
                assert re.fullmatch(
                    r"\$\{ibm_sm_username_password_secret\.\w+\.password\}", password
                )
            continue
        (provider,) = stack["provider"]["aws"]
        assert set(provider) == {"region"}
        assert stack["terraform"]["required_providers"] == {
            "aws": {"source": "hashicorp/aws", "version": "5.100.0"}
        }
        backend = stack["terraform"]["backend"]
        if "local" in backend:
            assert backend == {"local": {"path": "terraform.tfstate"}}


@pytest.mark.parametrize("name", SET_NAMES)
def test_no_paths_or_timestamps_in_any_file_written(
    family_sets: dict[str, list[Artifact]], name: str
) -> None:
    """Modules and templates too (the stacks above are read as one configuration)."""
    for artifact in family_sets[name]:
        text = artifact.content.decode()
        assert not re.search(r"\"/(tmp|home|root|work|Users)/", text), artifact.path
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), artifact.path
        assert "127.0.0.1" not in text


def test_s3_backend_and_remote_state(compiled_sets: dict[str, list[Artifact]]) -> None:
    stacks = {a.path.split("/")[1]: json.loads(a.content) for a in compiled_sets["behaviour-s3"]}
    assert stacks["tenant-pooled"]["terraform"]["backend"] == {
        "s3": {
            "bucket": "acme-state",
            "dynamodb_table": "acme-locks",
            "encrypt": True,
            "key": "infra/tenant-pooled/terraform.tfstate",
            "region": "eu-west-1",
        }
    }
    assert stacks["tenant-pooled"]["data"]["terraform_remote_state"]["pool"] == {
        "backend": "s3",
        "config": {
            "bucket": "acme-state",
            "key": "infra/pool-shared/terraform.tfstate",
            "region": "eu-west-1",
        },
    }
    assert stacks["pool-shared"]["terraform"]["backend"]["s3"]["key"] == (
        "infra/pool-shared/terraform.tfstate"
    )
