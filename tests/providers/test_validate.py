"""The validator, on documents written here: each kind of mistake, on each cloud's schema."""
# ruff: noqa: E501  (whole messages are compared, one per line)

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from compiler.providers import validate
from tests.support.tools import REPO


def problems(document: dict[str, Any], cloud: str) -> list[str]:
    return [p.render() for p in validate(document, "stack s", cloud)]


def required(source: str) -> dict[str, Any]:
    return {"required_providers": {source.split("/")[1]: {"source": source, "version": "1"}}}


def test_each_kind_of_mistake_on_the_real_aws_schema() -> None:
    stack = {
        "terraform": {**required("hashicorp/aws"), "backnd": {}},
        "provider": {"aws": [{"region": "eu-west-1", "regoin": "x", "alias": "west"}]},
        "resource": {
            "aws_db_instance": {
                "db": {
                    "allocated_storage": "twenty",
                    "arn": "arn:aws:rds:x",
                    "engine": "postgres",
                    "lifecycle": {"prevent_destroy": True, "prevent_destory": True},
                    "storage_encrypted": 1,
                    "blue_green_update": [{"enabled": True}, {"enabled": False}],
                    "tags": {"a": "b", "c": 5},
                }
            },
            "aws_s3_bucket": {"b": {"acl": "private"}},
            "aws_s3_bucket_versioning": {"v": {"versioning_configuration": "Enabled"}},
            "aws_no_such_thing": {"x": {}},
        },
        "data": {
            "aws_availability_zones": {"z": {"filter": [{"name": "a"}], "lifecycle": {"x": 1}}},
            "terraform_remote_state": {"pool": {"backnd": "local"}},
        },
        "output": {"o": {"description": "no value"}},
        "resources": {},
    }
    assert problems(stack, "aws") == [
        "stack s: resources: not a top-level block of a Terraform JSON document",
        "stack s: terraform.backnd: unknown setting (did you mean 'backend'?)",
        "stack s: provider.aws.regoin: unknown attribute or block (did you mean 'region'?)",
        "stack s: aws_db_instance.db.allocated_storage: expected a number, got 'twenty'",
        "stack s: aws_db_instance.db.arn: computed by the provider, cannot be set",
        "stack s: aws_db_instance.db.storage_encrypted: expected a bool, got 1",
        "stack s: aws_db_instance.db.blue_green_update: 2 blocks, allowed 0..1",
        "stack s: aws_db_instance.db.tags.c: expected a string, got 5",
        "stack s: aws_db_instance.db.instance_class: required, missing",
        "stack s: aws_db_instance.db.lifecycle.prevent_destory: unknown lifecycle argument (did you mean 'prevent_destroy'?)",
        "stack s: aws_no_such_thing.x: resource type aws_no_such_thing is not in the committed schema of hashicorp/aws 5.100.0 (it holds the types the stack builders use: add a new one with scripts/refresh-provider-schema.py)",
        "stack s: aws_s3_bucket.b.acl: deprecated in the provider",
        "stack s: aws_s3_bucket_versioning.v.versioning_configuration: a block is written as an object or a list of objects",
        "stack s: aws_s3_bucket_versioning.v.bucket: required, missing",
        "stack s: data.aws_availability_zones.z.filter[0].values: required, missing",
        "stack s: data.aws_availability_zones.z.lifecycle.x: unknown lifecycle argument",
        "stack s: data.terraform_remote_state.pool.backnd: unknown argument (did you mean 'backend'?)",
        "stack s: data.terraform_remote_state.pool.backend: required, missing",
        "stack s: output.o.value: required, missing",
    ]


def test_expressions_null_and_both_block_shapes_are_accepted() -> None:
    stack = {
        "terraform": required("hashicorp/aws"),
        "resource": {
            "aws_db_instance": {
                "db": {
                    "instance_class": "${var.size}",
                    "allocated_storage": "${local.storage}",
                    "storage_encrypted": None,
                    "vpc_security_group_ids": "${aws_security_group.db[*].id}",
                    "tags": "${local.tags}",
                    "blue_green_update": {"enabled": True},
                }
            },
            "aws_s3_bucket_versioning": {
                "v": {"bucket": "b", "versioning_configuration": [{"status": "Enabled"}]}
            },
        },
    }
    assert problems(stack, "aws") == []


# One resource per cloud, its arguments right but one: `misspelled` for `meant`.
MISSPELLED = {
    "azure": (
        "hashicorp/azurerm",
        "azurerm_key_vault_key",
        {
            "name": "k",
            "key_vault_id": "${azurerm_key_vault.v.id}",
            "key_type": "RSA-HSM",
            "key_opts": ["wrapKey", "unwrapKey"],
            "rotation_policy": {"automatic": {"time_before_expiry": "P30D"}, "expire_aftr": "P90D"},
        },
        "rotation_policy.expire_aftr",
        "expire_after",
    ),
    "gcp": (
        "hashicorp/google",
        "google_storage_bucket",
        {
            "name": "b",
            "location": "EU",
            "uniform_bucket_level_acess": True,
            "versioning": [{"enabled": True}],
        },
        "uniform_bucket_level_acess",
        "uniform_bucket_level_access",
    ),
    "oci": (
        "oracle/oci",
        "oci_objectstorage_bucket",
        {
            "compartment_id": "${var.compartment}",
            "name": "b",
            "namespace": "ns",
            "kms_key_idd": "${oci_kms_key.k.id}",
            "versioning": "Enabled",
        },
        "kms_key_idd",
        "kms_key_id",
    ),
    "ibm": (
        "IBM-Cloud/ibm",
        "ibm_is_vpc",
        {"name": "v", "resource_grup": "${data.ibm_resource_group.g.id}"},
        "resource_grup",
        "resource_group",
    ),
    "aws": (
        "hashicorp/aws",
        "aws_kms_key",
        {"description": "k", "enable_key_rotaton": True},
        "enable_key_rotaton",
        "enable_key_rotation",
    ),
}


@pytest.mark.parametrize("cloud", sorted(MISSPELLED))
def test_a_misspelled_attribute_is_caught_on_each_clouds_schema(cloud: str) -> None:
    source, type_, body, wrong, meant = MISSPELLED[cloud]
    stack = {"terraform": required(source), "resource": {type_: {"r": body}}}
    assert problems(stack, cloud) == [
        f"stack s: {type_}.r.{wrong}: unknown attribute or block (did you mean '{meant}'?)"
    ]
    right = json.loads(json.dumps(body).replace(f'"{wrong.split(".")[-1]}"', f'"{meant}"'))
    assert problems({"terraform": required(source), "resource": {type_: {"r": right}}}, cloud) == []


def test_a_resource_of_another_cloud_is_refused() -> None:
    stack = {
        "terraform": required("hashicorp/azurerm"),
        "resource": {
            "azurerm_resource_group": {"rg": {"name": "x", "location": "westeurope"}},
            "aws_kms_key": {"k": {}},
            "random_id": {"r": {}},
        },
    }
    assert problems(stack, "azure") == [
        "stack s: aws_kms_key.k: a resource of the aws provider in a document for azure",
        "stack s: random_id.r: no committed schema for provider hashicorp/random",
    ]


def test_nested_block_counts_and_required_blocks_on_a_rebuilt_schema() -> None:
    stack = {
        "terraform": required("hashicorp/google"),
        "resource": {
            "google_sql_database_instance": {
                "db": {
                    "database_version": "POSTGRES_15",
                    "settings": [{"tier": "db-custom-2-8192"}, {"tier": "db-custom-2-8192"}],
                }
            },
            "google_compute_firewall": {
                "fw": {"name": "f", "network": "n", "allow": {"ports": ["5432"]}}
            },
        },
    }
    assert problems(stack, "gcp") == [
        "stack s: google_compute_firewall.fw.allow.protocol: required, missing",
        "stack s: google_sql_database_instance.db.settings: 2 blocks, allowed 0..1",
    ]


def test_a_schema_is_loaded_only_for_a_document_of_its_cloud() -> None:
    """In a fresh process: validating AWS documents loads the AWS schema and no other."""
    script = (
        "from compiler.providers import validate, loaded\n"
        "doc = {'terraform': {'required_providers': {'aws': {'source': 'hashicorp/aws'}}},"
        " 'resource': {'aws_kms_key': {'k': {}}}}\n"
        "before = sorted(loaded())\n"
        "validate(doc, 's', 'aws'); validate(doc, 't', 'aws')\n"
        "print(before, sorted(loaded()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[] ['aws']"
