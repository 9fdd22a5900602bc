"""The committed JSON Schemas (schemas/): current, valid 2020-12, and in agreement with pydantic.

Editors validate spec files against schemas/ while they are typed; the compiler validates
them with pydantic. Both must say the same of every document: for each document of spec/,
examples/ and every fixture, "the model of its kind accepts it" <=> "document.schema.json
accepts it". A property test then does the same for documents changed at random.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from compiler.dsl import KINDS
from compiler.dsl.jsonschema import DRAFT, SCHEMA_BASE, document_schemas, render
from compiler.load.yaml_reader import read_yaml
from tests.conftest import ALL_SPECS
from tests.fixtures.specs import FIXTURES
from tests.support.mutate import mutate
from tests.support.tools import REPO

SCHEMAS = REPO / "schemas"
GENERATED = document_schemas()
DOCUMENT = jsonschema.Draft202012Validator(GENERATED["document.schema.json"])
BY_KIND = {
    kind: jsonschema.Draft202012Validator(GENERATED[f"{kind.lower()}.schema.json"])
    for kind in KINDS
}


def _documents(folders: list[Path]) -> list[tuple[str, Any]]:
    """(file:document, data) of every document the loader can read under `folders`."""
    out: list[tuple[str, Any]] = []
    for folder in folders:
        for path in sorted(folder.rglob("*.y*ml")):
            documents, _ = read_yaml(path.relative_to(REPO).as_posix(), path.read_bytes())
            out.extend((f"{d.file}#{d.index + 1}", d.data) for d in documents)
    return out


EVERY_DOCUMENT = _documents([*ALL_SPECS, FIXTURES])


def _pydantic_accepts(data: Any) -> bool:
    kind = data.get("kind") if isinstance(data, dict) else None
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        return False
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def test_committed_schemas_are_current() -> None:
    """`paybill schema --out schemas` would write exactly what is committed."""
    committed = {p.name: p.read_bytes() for p in SCHEMAS.glob("*.json")}
    expected = {name: render(schema) for name, schema in GENERATED.items()}
    stale = sorted(
        n for n in expected.keys() | committed.keys() if committed.get(n) != expected.get(n)
    )
    assert stale == [], f"run `make schemas` (paybill schema --out schemas); stale: {stale}"


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_schemas_are_valid_draft_2020_12(name: str) -> None:
    schema = GENERATED[name]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT
    assert schema["$id"] == SCHEMA_BASE + name


@pytest.mark.parametrize(("where", "data"), EVERY_DOCUMENT, ids=[w for w, _ in EVERY_DOCUMENT])
def test_pydantic_and_schema_agree(where: str, data: Any) -> None:
    accepted = _pydantic_accepts(data)
    assert DOCUMENT.is_valid(data) == accepted, where
    kind = data.get("kind") if isinstance(data, dict) else None
    if isinstance(kind, str) and kind in BY_KIND:
        assert BY_KIND[kind].is_valid(data) == accepted, where


def test_the_documents_cover_both_answers() -> None:
    """The agreement above is about something: many documents pass, many fail."""
    answers = [_pydantic_accepts(data) for _, data in EVERY_DOCUMENT]
    assert answers.count(True) > 50
    assert answers.count(False) > 30


# Keywords that mean the same in draft-07 and 2020-12. yaml-language-server (VS Code's YAML
# extension and others) validates with a draft-07 engine, so the schemas keep to these.
PORTABLE = {
    "$defs", "$id", "$ref", "$schema", "additionalProperties", "allOf", "anyOf", "const",
    "default", "description", "discriminator", "enum", "if", "items", "maxItems", "maxLength",
    "maximum", "minItems", "minLength", "minimum", "not", "oneOf", "pattern",
    "patternProperties", "properties", "propertyNames", "required", "then", "title", "type",
    "uniqueItems",
}  # fmt: skip
DRAFT_07 = jsonschema.Draft7Validator(GENERATED["document.schema.json"])


def _keywords(node: Any) -> set[str]:
    """Keywords used anywhere in a schema (names under properties/$defs are not keywords)."""
    if isinstance(node, list):
        return {k for item in node for k in _keywords(item)}
    if not isinstance(node, dict):
        return set()
    found = set(node)
    assert not ("$ref" in node and len(node) > 1), "draft-07 ignores keywords next to $ref"
    for key, value in node.items():
        if key in ("properties", "$defs", "patternProperties"):
            found |= {k for sub in value.values() for k in _keywords(sub)}
        elif key != "discriminator":
            found |= _keywords(value)
    return found


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_schemas_work_in_draft_07_editors(name: str) -> None:
    assert _keywords(GENERATED[name]) - PORTABLE == set()


def test_draft_07_engines_give_the_same_answers() -> None:
    disagree = [
        w for w, data in EVERY_DOCUMENT if DRAFT_07.is_valid(data) != DOCUMENT.is_valid(data)
    ]
    assert disagree == []


MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)


@pytest.mark.parametrize("folder", ALL_SPECS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_modelines_point_at_the_committed_schema(folder: Path) -> None:
    """Every document of spec/ and examples/ names schemas/document.schema.json for editors."""
    for path in sorted(folder.rglob("*.yaml")):
        text = path.read_text()
        targets = MODELINE.findall(text)
        assert len(targets) == text.count("apiVersion:"), path
        for target in targets:
            assert (path.parent / target).resolve() == SCHEMAS / "document.schema.json", path


# -- random changes to valid documents ------------------------------------------------------

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 70000),
    st.floats(allow_nan=True),
    st.sampled_from([5.0, 1024.0, 20.5, 10**20]),
    st.text(max_size=8),
    st.sampled_from(
        [
            "acme\n",
            "a\x1c@b.c",
            "a" * 501,
            "select",
            "delete",
            "update",
            "insert",
            "silo",
            "pooled",
            "bridge",
            "human",
            "none",
            "s3",
            "local",
            "10.0.0.0/8",
            "* * * * *",
            "a.b",
        ]
    ),
    st.lists(st.sampled_from(["a", "id", "b"]), max_size=3),
    st.dictionaries(st.sampled_from(["x", "type", "name"]), st.just("s3"), max_size=2),
)
VALID = [data for _, data in _documents(ALL_SPECS)]


@st.composite
def changed(draw: st.DrawFn) -> Any:
    return mutate(
        draw, draw(st.sampled_from(VALID)), VALUES, st.integers(0, 4).map(lambda n: n == 0)
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=changed())
def test_agreement_on_changed_documents(data: Any) -> None:
    assert DOCUMENT.is_valid(data) == _pydantic_accepts(data)
