"""Every generated resource against the AWS provider 5.100.0 schema, in process: in each
shape's module as written (its inputs are references, left to terraform), and in each
stack as one configuration, where every input is the stack's literal value."""

from __future__ import annotations

import json

import pytest

from compiler.emit import Artifact
from compiler.emit.stacks import STACK_FILE
from compiler.emit.stacks.aspects import (
    ENCRYPTED,
    ENCRYPTED_BY_COMPANION,
    NO_DATA_AT_REST,
    RESOURCE_TYPES,
    TAGGABLE,
)
from compiler.emit.stacks.builder import DATA_SOURCE_TYPES
from tests.emit.stacks.conftest import SET_NAMES
from tests.emit.stacks.schema_check import check_stack, provider_schema


@pytest.mark.parametrize("name", SET_NAMES)
def test_every_resource_matches_the_provider_schema(
    family_sets: dict[str, list[Artifact]], compiled_sets: dict[str, list[Artifact]], name: str
) -> None:
    written = [a for a in family_sets[name] if a.path.endswith(f"/{STACK_FILE}")]
    assert {a.path.split("/")[0] for a in written} == {"modules", "stacks"}
    problems = [
        f"{artifact.path}: {problem}"
        for artifact in [*written, *compiled_sets[name]]
        for problem in check_stack(json.loads(artifact.content))
    ]
    assert problems == []
    modules = [json.loads(a.content) for a in written if a.path.startswith("modules/")]
    assert all(module.get("resource") for module in modules)


def test_schema_data_holds_exactly_the_types_the_builders_use() -> None:
    schema = provider_schema()
    assert schema["provider"] == "registry.terraform.io/hashicorp/aws 5.100.0"
    assert set(schema["resource_schemas"]) == RESOURCE_TYPES
    assert set(schema["data_source_schemas"]) == DATA_SOURCE_TYPES


def test_taggable_types_are_exactly_those_with_tags() -> None:
    schema = provider_schema()["resource_schemas"]
    with_tags = {t for t in RESOURCE_TYPES if "tags" in schema[t].get("attributes", {})}
    assert with_tags == TAGGABLE


def test_every_resource_type_is_classified_for_encryption_once() -> None:
    groups = [set(ENCRYPTED), set(ENCRYPTED_BY_COMPANION), set(NO_DATA_AT_REST)]
    assert sum(len(g) for g in groups) == len(RESOURCE_TYPES)
    assert set(ENCRYPTED_BY_COMPANION.values()) <= set(ENCRYPTED)


def test_the_checker_reports_each_kind_of_mistake() -> None:
    stack = {
        "provider": {"aws": [{"region": "eu-west-1", "regoin": "x"}]},
        "resource": {
            "aws_db_instance": {
                "db": {
                    "allocated_storage": "twenty",
                    "arn": "arn:aws:rds:x",
                    "engine": "postgres",
                    "lifecycle": {"prevent_destroy": True},
                    "storage_encrypted": 1,
                    "blue_green_update": [{"enabled": True}, {"enabled": False}],
                }
            },
            "aws_s3_bucket": {"b": {"acl": "private"}},
            "aws_s3_bucket_versioning": {"v": {"versioning_configuration": {"status": "x"}}},
            "aws_no_such_thing": {"x": {}},
        },
        "data": {"aws_availability_zones": {"z": {"filter": [{"name": "a"}], "lifecycle": {}}}},
    }
    assert check_stack(stack) == [
        "provider.aws.regoin: no such attribute or block",
        "aws_db_instance.db.allocated_storage: expected a number, got 'twenty'",
        "aws_db_instance.db.arn: computed by the provider, cannot be set",
        "aws_db_instance.db.blue_green_update: 2 blocks, allowed 0..1",
        "aws_db_instance.db.storage_encrypted: expected a bool, got 1",
        "aws_db_instance.db.instance_class: required, missing",
        "resource type aws_no_such_thing is not in aws-provider-schema.json",
        "aws_s3_bucket.b.acl: deprecated in the provider",
        "aws_s3_bucket_versioning.v.versioning_configuration: a list of blocks must be a list",
        "aws_s3_bucket_versioning.v.bucket: required, missing",
        "aws_availability_zones.z.filter[0].values: required, missing",
        "aws_availability_zones.z.lifecycle: no such attribute or block",
    ]
