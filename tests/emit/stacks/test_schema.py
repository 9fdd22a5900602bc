"""Every generated AWS resource against the AWS provider 5.100.0 schema, in process
(compiler.providers; the validator's own cases are in tests/providers)."""

from __future__ import annotations

import json

import pytest

from compiler.emit import Artifact
from compiler.emit.stacks.aspects import (
    ENCRYPTED,
    ENCRYPTED_BY_COMPANION,
    NO_DATA_AT_REST,
    RESOURCE_TYPES,
    TAGGABLE,
)
from compiler.emit.stacks.builder import DATA_SOURCE_TYPES
from compiler.emit.stacks.provider import AWS_PROVIDER_VERSION
from compiler.providers import load_schema, validate
from tests.emit.stacks.conftest import SET_NAMES


@pytest.mark.parametrize("name", SET_NAMES)
def test_every_resource_matches_the_provider_schema(
    compiled_sets: dict[str, list[Artifact]], name: str
) -> None:
    problems = [
        problem.render()
        for artifact in compiled_sets[name]
        for problem in validate(json.loads(artifact.content), artifact.path, "aws")
    ]
    assert problems == []


def test_schema_data_holds_exactly_the_types_the_builders_use() -> None:
    schema = load_schema("aws")
    assert schema.label == f"hashicorp/aws {AWS_PROVIDER_VERSION}"
    assert set(schema.resources) == RESOURCE_TYPES
    assert set(schema.data_sources) == DATA_SOURCE_TYPES


def test_taggable_types_are_exactly_those_with_tags() -> None:
    schema = load_schema("aws").resources
    with_tags = {t for t in RESOURCE_TYPES if "tags" in schema[t].get("attributes", {})}
    assert with_tags == TAGGABLE


def test_every_resource_type_is_classified_for_encryption_once() -> None:
    groups = [set(ENCRYPTED), set(ENCRYPTED_BY_COMPANION), set(NO_DATA_AT_REST)]
    assert sum(len(g) for g in groups) == len(RESOURCE_TYPES)
    assert set(ENCRYPTED_BY_COMPANION.values()) <= set(ENCRYPTED)
