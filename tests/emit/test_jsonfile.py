"""The layout of the JSON files paybill writes itself: exact bytes, round trip, and every
family of `generated/` written in it (the cdktn-synthesized Terraform in cdktn's own)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.emit.artifact import canonical_json
from compiler.emit.jsonfile import output_json
from compiler.pipeline import compile_spec
from tests.conftest import SPEC

DOCUMENT = {
    "tenant": "acme",
    "columns": ["id", "due_at"],
    "empty": {"list": [], "object": {}},
    "limits": {"runsPerDay": 500, "concurrentRuns": 2},
    "plan": {"seats": 20, "storageGb": None, "trial": True, "name": "Pro"},
    "matrix": [[1, 2], [], ["a"]],
    "steps": [
        {"id": "find", "after": [], "query": {"columns": ("id",), "maxRows": 1.5}},
        {"id": "tell", "tool": {"name": "e-mail", "effect": "external"}},
    ],
    "note": 'Zürich "quoted"\n',
}

EXPECTED = """\
{
  "columns": ["id", "due_at"],
  "empty": {
    "list": [],
    "object": {}
  },
  "limits": {"concurrentRuns": 2, "runsPerDay": 500},
  "matrix": [
    [1, 2],
    [],
    ["a"]
  ],
  "note": "Zürich \\"quoted\\"\\n",
  "plan": {
    "name": "Pro",
    "seats": 20,
    "storageGb": null,
    "trial": true
  },
  "steps": [
    {
      "after": [],
      "id": "find",
      "query": {
        "columns": ["id"],
        "maxRows": 1.5
      }
    },
    {
      "id": "tell",
      "tool": {"effect": "external", "name": "e-mail"}
    }
  ],
  "tenant": "acme"
}
"""


def test_the_layout_to_the_byte() -> None:
    """Objects one member per line, keys sorted; a list of scalars and an object of at most
    three scalars on one line; a list holding a list is not flat; UTF-8 as it is, LF, a
    trailing newline."""
    assert output_json(DOCUMENT) == EXPECTED.encode()


def test_a_document_that_is_one_flat_value() -> None:
    assert output_json([]) == b"[]\n"
    assert output_json(["a", 1]) == b'["a", 1]\n'
    assert output_json("x") == b'"x"\n'


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


@given(_json)
def test_it_reads_back_as_the_same_data(data: Any) -> None:
    text = output_json(data)
    assert orjson.loads(text) == data
    assert text.endswith(b"\n")
    assert not text.endswith(b"\n\n")
    assert output_json(orjson.loads(text)) == text  # equal data, equal bytes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1: "a"}, "keys must be strings"),
        ({"a": {1, 2}}, "not JSON serializable: set"),
        ([math.nan], "not a JSON number"),
        ({"a": math.inf}, "not a JSON number"),
        ({"a": [b"x"]}, "not JSON serializable"),
    ],
)
def test_it_refuses_what_is_not_json(value: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        output_json(value)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layout") / "generated"
    compile_spec(SPEC, out)
    return out


TERRAFORM = ("stacks", "modules")  # synthesized by cdktn: its layout, not ours


def test_every_json_file_of_every_family_is_written_in_the_layout(generated: Path) -> None:
    files = sorted(p for p in generated.rglob("*.json") if ".paybill" not in p.parts)
    families = {p.relative_to(generated).parts[0] for p in files}
    assert families == {"acl", "manifest.json", "modules", "nodes", "sql", "stacks"}
    for path in files:
        content = path.read_bytes()
        data = orjson.loads(content)
        ours = path.relative_to(generated).parts[0] not in TERRAFORM
        expected = output_json(data) if ours else canonical_json(data)
        assert content == expected, f"{path.relative_to(generated)} is not in its layout"
