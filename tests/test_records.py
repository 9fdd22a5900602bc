"""The committed bookkeeping: the manifest and the node records satisfy their versioned JSON
Schemas (the old manifest its own, kept as a fixture), and the reader refuses what the schema
refuses, with a reason, before the writer trusts a single path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from compiler.records import (
    RecordError,
    has_conflict_markers,
    parse_record,
    record_path,
    safe_path,
    salvage_paths,
)
from tests.support.tools import REPO

SCHEMAS = REPO / "compiler/schemas"
GENERATED = REPO / "generated"
V1 = REPO / "tests/fixtures/manifest-v1"


def validator(path: Path) -> Draft202012Validator:
    schema = json.loads(path.read_bytes())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(schema: Path, document: object) -> list[str]:
    return [e.message for e in validator(schema).iter_errors(document)]


def test_the_committed_manifest_and_every_record_satisfy_their_schemas() -> None:
    manifest = json.loads((GENERATED / "manifest.json").read_bytes())
    assert errors(SCHEMAS / "manifest-v2.schema.json", manifest) == []
    records = sorted((GENERATED / "nodes").glob("*/*.json"))
    assert len(records) == 50  # 12 of them modules: one per stack shape of the plans and pools
    for path in records:
        data = json.loads(path.read_bytes())
        assert errors(SCHEMAS / "node-v1.schema.json", data) == [], path
        assert record_path(data["id"]) == path.relative_to(GENERATED).as_posix()
        assert parse_record(record_path(data["id"]), path.read_bytes()).node == data["id"]


def test_the_old_manifest_satisfies_the_old_schema_and_not_the_new_one() -> None:
    old = json.loads((V1 / "manifest.json").read_bytes())
    assert errors(V1 / "manifest-v1.schema.json", old) == []
    assert errors(SCHEMAS / "manifest-v2.schema.json", old) != []


def test_tenant_facts_belong_to_tenant_records_only() -> None:
    record = json.loads((GENERATED / "nodes/stack/tenant-acme.json").read_bytes())
    record["tenant"] = {}
    assert errors(SCHEMAS / "node-v1.schema.json", record) != []
    tenant = json.loads((GENERATED / "nodes/tenant/acme.json").read_bytes())
    del tenant["roles"]
    assert errors(SCHEMAS / "node-v1.schema.json", tenant) == ["'roles' is a required property"]


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        ("stacks/tenant-a/cdk.tf.json", True),
        ("stacks/tenant-a/.terraform.lock.hcl", True),
        ("sql/pool-a/tenants/x.sql", True),
        ("manifest.json", True),
        ("../victim.txt", False),
        ("/etc/passwd", False),
        ("stacks/../../x", False),
        ("stacks/./x", False),
        ("stacks//x", False),
        ("spec/tenants/acme.yaml", False),
        (".git/HEAD", False),
        ("stacks", False),
        ("stacks\\x", False),
        ("stacks/x\0", False),
        (7, False),
    ],
)
def test_safe_paths_stay_inside_the_output_folders(path: object, safe: bool) -> None:
    assert (safe_path(path) == path) is safe


def record_of(**changes: object) -> bytes:
    data = json.loads((GENERATED / "nodes/stack/tenant-acme.json").read_bytes())
    data.update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"id": "stack:tenant-other"},
            "its id 'stack:tenant-other' does not match the file's path",
        ),
        ({"kind": "sql"}, "kind and name do not match its id"),
        ({"dependsOn": ["x"]}, "dependsOn is not a list of node ids"),
        ({"wave": -1}, "wave is not a whole number"),
        ({"wave": True}, "wave is not a whole number"),
        ({"inputDigest": "abc"}, "inputDigest is not a SHA-256 digest"),
        ({"artifacts": {}}, "artifacts is not a list"),
        (
            {"artifacts": [{"path": "../x", "sha256": "0" * 64, "bytes": 1}]},
            "artifact path '../x' is not inside the output folders",
        ),
        (
            {"artifacts": [{"path": "stacks/a/b", "sha256": "z", "bytes": 1}]},
            "artifact stacks/a/b has no SHA-256 digest",
        ),
        ({"schemaVersion": "paybill.dev/node/v0"}, "not a paybill.dev/node/v1 record"),
    ],
)
def test_a_damaged_record_is_refused_with_its_reason(
    changes: dict[str, object], reason: str
) -> None:
    with pytest.raises(RecordError) as raised:
        parse_record("nodes/stack/tenant-acme.json", record_of(**changes))
    assert raised.value.reason == reason


def test_paths_are_salvaged_from_both_sides_of_a_conflict_and_only_safe_ones() -> None:
    content = (
        b'{\n  "artifacts": [\n<<<<<<< HEAD\n    {"path": "stacks/a/cdk.tf.json"},\n=======\n'
        b'    {"path": "stacks/b/cdk.tf.json"}, {"path": "../evil"}\n>>>>>>> other\n  ]\n}\n'
    )
    assert has_conflict_markers(content)
    assert not has_conflict_markers(b'{"note": "<<<<<<<< not at a line start"}')
    assert salvage_paths(content) == ["stacks/a/cdk.tf.json", "stacks/b/cdk.tf.json"]
