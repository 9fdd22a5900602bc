"""A repository made by `paybill init`, once per session (compiling it takes a few seconds),
copied for tests that change it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.cli import main

NAME = "acme-platform"


@pytest.fixture(scope="session")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The untouched result of `paybill init DIR` (do not change it: copy it)."""
    target = tmp_path_factory.mktemp("init") / NAME
    assert main(["init", str(target)]) == 0
    return target


@pytest.fixture
def repository(scaffolded: Path, tmp_path: Path) -> Path:
    """A copy of the scaffolded repository that a test may change."""
    copy = tmp_path / NAME
    shutil.copytree(scaffolded, copy)
    return copy
