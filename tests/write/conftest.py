"""Fixtures the writer's tests share."""

from __future__ import annotations

import pytest

from compiler.records import NodeRecord
from compiler.write import previous


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The record files read and checked (not taken from the cache) from now on."""
    seen: list[str] = []
    original = previous.parse_record

    def spy(path: str, content: bytes) -> NodeRecord:
        seen.append(path)
        return original(path, content)

    monkeypatch.setattr(previous, "parse_record", spy)
    return seen
