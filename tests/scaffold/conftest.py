"""A repository made by `paybill init`, once per run (compiling it takes a few seconds; the
workers share it), copied for tests that change it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.cli import main
from tests.support.shared import folder_once

NAME = "acme-platform"


@pytest.fixture(scope="session")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The untouched result of `paybill init DIR` (do not change it: copy it)."""

    def init(folder: Path) -> None:
        assert main(["init", str(folder / NAME)]) == 0

    return folder_once(tmp_path_factory, "init", init) / NAME


@pytest.fixture
def repository(scaffolded: Path, tmp_path: Path) -> Path:
    """A copy of the scaffolded repository that a test may change."""
    copy = tmp_path / NAME
    shutil.copytree(scaffolded, copy)
    return copy
