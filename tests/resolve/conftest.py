"""Tests here build spec folders in a temporary working folder (see tests/fixtures/specs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working folder, so that file names in messages read `spec/...`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
