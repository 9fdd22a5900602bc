"""The shared artifact helpers: canonical JSON and fingerprints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.emit.artifact import canonical_json, fingerprint

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(_json)
def test_canonical_json_is_the_standard_library_format(data: Any) -> None:
    expected = (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    assert canonical_json(data) == expected


@dataclass(frozen=True)
class _Inner:
    name: str
    sizes: tuple[int, ...]


@dataclass(frozen=True)
class _Outer:
    inner: _Inner
    note: str | None


def test_fingerprint_reads_dataclasses_field_by_field() -> None:
    one = _Outer(_Inner("a", (1, 2)), None)
    assert fingerprint(one) == fingerprint(_Outer(_Inner("a", (1, 2)), None))
    assert fingerprint(one) != fingerprint(_Outer(_Inner("a", (2, 1)), None))
    assert fingerprint(one) != fingerprint(_Outer(_Inner("a", (1, 2)), ""))
    assert fingerprint(one) == fingerprint({"inner": {"name": "a", "sizes": [1, 2]}, "note": None})


def test_fingerprint_refuses_what_it_cannot_spell() -> None:
    with pytest.raises(TypeError, match="Type is not JSON serializable: set"):
        fingerprint({1, 2})
