"""Reading spec files safely: tags, duplicate keys, alias bombs, loops, size, encoding, syntax.

Each case is a file under tests/fixtures/load/ added to the valid base spec (or replacing its
platform.yaml); the test asserts the whole output of validating that spec.
"""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from compiler.load.source import format_path
from compiler.load.yaml_reader import MAX_DEPTH, MAX_FILE_BYTES, read_yaml
from tests.fixtures.specs import LOAD, errors, expect, valid

CASES = {
    "python-tag.yaml": [
        "spec/python-tag.yaml:6:16: Tool/sneaky spec.description: YAML tag '!!python/object/apply:os.system' is not allowed (spec files hold plain data: strings, numbers, booleans, lists and mappings)",
    ],
    "custom-tag.yaml": [
        "spec/custom-tag.yaml:6:16: Tool/tagged spec.description: YAML tag '!Sub' is not allowed (spec files hold plain data: strings, numbers, booleans, lists and mappings)",
        "spec/custom-tag.yaml:8:13: Tool/tagged spec.approval: YAML tag '!!binary' is not allowed (spec files hold plain data: strings, numbers, booleans, lists and mappings)",
    ],
    "bad-scalars.yaml": [
        "spec/bad-scalars.yaml:8:19: Plan/bad-scalars spec.limits.seats: 'ten' is not a valid int",
        "spec/bad-scalars.yaml:8:41: Plan/bad-scalars spec.limits.storageGb: 'lots' is not a valid float",
        "spec/bad-scalars.yaml:8:97: Plan/bad-scalars spec.limits.agentRunsPerDay: 'maybe' is not a valid bool",
    ],
    "duplicate-keys.yaml": [
        "spec/duplicate-keys.yaml:8:3: Tool/twice spec.description: duplicate key 'description' (first written at line 6) (YAML would silently keep only the last one; remove one of them)",
    ],
    "odd-keys.yaml": [
        "spec/odd-keys.yaml:8:3: Tool/odd-keys spec: mapping key '1' is not text (quote the key)",
        "spec/odd-keys.yaml:9:5: Tool/odd-keys spec: a list cannot be a mapping key",
        "spec/odd-keys.yaml:11:3: Tool/odd-keys spec: mapping key 'null' is not text (quote the key)",
    ],
    "billion-laughs.yaml": [
        "spec/billion-laughs.yaml:2:15: document expands to more than 100,000 values (aliases (*name) and merge keys (<<) that repeat large anchors multiply; write the values out)",
    ],
    "merge-bomb.yaml": [
        "spec/merge-bomb.yaml:6:35: document expands to more than 100,000 values (aliases (*name) and merge keys (<<) that repeat large anchors multiply; write the values out)",
    ],
    "recursive-alias.yaml": [
        "spec/recursive-alias.yaml:3:11: an alias refers to a node that contains it (YAML allows such loops, but a spec must be a finite tree)",
    ],
    "undefined-alias.yaml": [
        "spec/undefined-alias.yaml:9:11: invalid YAML: alias '*meta' refers to no anchor (an anchor (&name) must come before its aliases, in the same document)",
    ],
    "merge-not-mapping.yaml": [
        "spec/merge-not-mapping.yaml:6:8: Tool/merged spec: '<<' must merge a mapping or a list of mappings",
        "spec/merge-not-mapping.yaml:6:21: Tool/merged spec: '<<' must merge a mapping or a list of mappings",
    ],
    "syntax-error.yaml": [
        "spec/syntax-error.yaml:7:9: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 6)",
    ],
    "bad-indent.yaml": [
        "spec/bad-indent.yaml:5:2: invalid YAML: did not find expected key (while parsing a block mapping at line 1)",
    ],
    "latin1.yaml": [
        "spec/latin1.yaml:6:19: not UTF-8 text: invalid continuation byte (byte 0xe9) (save the file as UTF-8)",
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture(workdir: Path, name: str) -> None:
    content = (LOAD / name).read_bytes()
    assert errors(workdir, files={name: content}) == expect(*CASES[name])


def test_merge_keys(workdir: Path) -> None:
    """`<<` merges: keys written next to it win, and earlier merges win over later ones."""
    spec = valid(workdir, files={"platform.yaml": (LOAD / "merge-keys.yaml").read_bytes()})
    pools = {p.name: (p.region, p.cidr, p.database.storage_gb) for p in spec.pools}
    assert pools == {
        "big-pool": ("eu-central-1", "10.12.0.0/16", 2000),
        "eu-pool": ("eu-central-1", "10.10.0.0/16", 100),
        "us-pool": ("us-east-1", "10.11.0.0/16", 100),
    }


def test_merged_mistake_is_shown_where_written(workdir: Path) -> None:
    """A mistake in merged settings points at the anchor, once for every place it lands."""
    content = (LOAD / "merge-keys-error.yaml").read_bytes()
    assert errors(workdir, files={"platform.yaml": content}) == expect(
        "spec/platform.yaml:15:80: Platform/fixture spec.pools[0].database.storageGB: unknown field 'storageGB' (did you mean 'storageGb'?)",
        "spec/platform.yaml:15:80: Platform/fixture spec.pools[1].database.storageGB: unknown field 'storageGB' (did you mean 'storageGb'?)",
    )


def test_too_large_is_refused_before_reading(workdir: Path) -> None:
    size = MAX_FILE_BYTES + 1
    assert errors(workdir, files={"huge.yaml": b"#" * size}) == expect(
        "spec/huge.yaml: file is 8,388,609 bytes, over the limit of 8,388,608 bytes (8 MiB) for one spec file (split it into several files; every *.yaml under the spec folder is read)",
    )


def test_nul_byte(workdir: Path) -> None:
    assert errors(workdir, files={"blob.yaml": b"a: 1\nb: x\x00y\n"}) == expect(
        "spec/blob.yaml:2:5: contains a NUL byte; is this a binary file?",
    )


def test_deep_nesting(workdir: Path) -> None:
    text = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    assert errors(workdir, files={"deep.yaml": text}) == expect(
        "spec/deep.yaml:1:68: nesting deeper than 64 levels",
    )


def test_problems_of_all_files_come_together(workdir: Path) -> None:
    """A file that cannot be read does not hide what is wrong in the others."""
    broken = (LOAD / "syntax-error.yaml").read_bytes()
    tool = "apiVersion: paybill.dev/v1\nkind: Tool\nmetadata: {name: ok}\nspec: {effect: reed}\n"
    assert errors(workdir, files={"a-broken.yaml": broken, "z-tool.yaml": tool}) == expect(
        "spec/a-broken.yaml:7:9: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 6)",
        "spec/z-tool.yaml:4:1: Tool/ok spec.description: missing required field 'description'",
        "spec/z-tool.yaml:4:16: Tool/ok spec.effect: must be 'read', 'write', 'destructive' or 'external', not the text 'reed' (did you mean 'read'?)",
    )


def test_byte_order_mark_crlf_and_empty_documents(workdir: Path) -> None:
    """Windows files read like any other, with the same positions; `---` twice is no document."""
    tool = (
        "\ufeffapiVersion: paybill.dev/v1\r\nkind: Tool\r\n---\r\n---\r\nmetadata: {name: crlf}\r\n"
    )
    assert errors(workdir, files={"crlf.yaml": tool.encode()}) == expect(
        "spec/crlf.yaml:1:1: Tool#1 metadata: missing required field 'metadata'",
        "spec/crlf.yaml:1:1: Tool#1 spec: missing required field 'spec'",
        "spec/crlf.yaml:5:1: Document/crlf kind: missing required field 'kind' (one of Platform, Plan, Tenant, Table, Tool, Agent, Workflow, BillingProvider)",
    )


def test_positions_of_keys_and_values() -> None:
    """Unknown keys are shown at the key; bad values at the value (as editors underline)."""
    text = b"spec:\n  limits: {seats: 5}\n  steps:\n    - id: a\n      after: [b, c]\n"
    [document], problems = read_yaml("f.yaml", text)
    assert problems == []
    assert str(document.key_at("spec", "limits")) == "f.yaml:2:3"
    assert str(document.at("spec", "limits")) == "f.yaml:2:11"
    assert str(document.at("spec", "limits", "seats")) == "f.yaml:2:19"
    assert str(document.at("spec", "steps", 0, "after", 1)) == "f.yaml:5:18"
    # a path that is not written falls back to the closest one that is
    assert str(document.at("spec", "steps", 0, "tool")) == "f.yaml:4:7"
    assert format_path(("spec", "steps", 0, "after", 1)) == "spec.steps[0].after[1]"


def test_positions_of_every_document_of_a_file_once_one_is_asked() -> None:
    """Asking one plain document for a position locates its file's other documents too."""
    text = b"kind: Tool\nmetadata: {name: a}\n---\nkind: Tool\nmetadata: {name: b}\nspec: {x: 1}\n"
    [first, second], problems = read_yaml("f.yaml", text)
    assert problems == []
    assert str(first.at("kind")) == "f.yaml:1:7"
    assert second.locate is None  # located with the first, not composed again
    assert str(second.at("spec", "x")) == "f.yaml:6:11"


def test_a_document_is_freed_when_let_go_without_the_cyclic_collector() -> None:
    """A compile pauses the cyclic collector: a document must not be part of a reference
    cycle (with the locator of its file), or every document of a fleet, with its data,
    lives until the compile ends."""
    text = b"kind: Tool\nmetadata: {name: a}\n---\nkind: Tool\nmetadata: {name: b}\n"
    gc.disable()
    try:
        documents, _ = read_yaml("f.yaml", text)
        assert all(d.locate is not None for d in documents)  # plain: located when asked
        locator = weakref.ref(documents[0].locate.__self__)  # type: ignore[union-attr]
        del documents
        assert locator() is None  # and with it the documents that held it
    finally:
        gc.enable()
