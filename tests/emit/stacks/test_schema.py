"""Every generated resource against the AWS provider 5.100.0 schema, in process
(compiler.providers; the validator's own cases are in tests/providers): in each shape's
module as written (its inputs are references, left to terraform), and in each stack as one
configuration, where every input is the stack's literal value."""

from __future__ import annotations

import json
from typing import Any

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
from compiler.emit.stacks.clouds.ibm import rules as ibm
from compiler.emit.stacks.provider import AWS_PROVIDER_VERSION
from compiler.providers import load_schema, validate
from tests.emit.stacks.conftest import SET_NAMES


@pytest.mark.parametrize("name", SET_NAMES)
def test_every_resource_matches_the_provider_schema(
    family_sets: dict[str, list[Artifact]], compiled_sets: dict[str, list[Artifact]], name: str
) -> None:
    written = [a for a in family_sets[name] if a.path.endswith(f"/{STACK_FILE}")]
    assert {a.path.split("/")[0] for a in written} == {"modules", "stacks"}
    problems = [
        problem.render()
        for artifact in [*written, *compiled_sets[name]]
        for problem in validate(
            json.loads(artifact.content), artifact.path, _cloud(json.loads(artifact.content))
        )
    ]
    assert problems == []
    modules = [json.loads(a.content) for a in written if a.path.startswith("modules/")]
    assert all(module.get("resource") for module in modules)


def _cloud(document: dict[str, Any]) -> str:
    """The cloud of a module or stack, by the one provider it requires."""
    (provider,) = document["terraform"]["required_providers"]
    return {"aws": "aws", "azurerm": "azure", "google": "gcp", "oci": "oci", "ibm": "ibm"}[provider]


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


def test_the_ibm_schema_holds_exactly_the_types_the_ibm_driver_emits() -> None:
    """ibm.json is written by hand: every type in it is one the driver emits, and back."""
    schema = load_schema("ibm")
    assert set(schema.resources) == ibm.RESOURCE_TYPES
    assert set(schema.data_sources) == ibm.IBM_RULES.data_source_types
    with_tags = {t for t in ibm.RESOURCE_TYPES if "tags" in schema.resources[t]["attributes"]}
    assert with_tags == ibm.TAGGED
    groups = [set(ibm.ENCRYPTED), ibm.PROVIDER_MANAGED_KEYS, ibm.NO_DATA_AT_REST]
    assert sum(len(g) for g in groups) == len(ibm.RESOURCE_TYPES)
