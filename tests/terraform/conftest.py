"""A working copy of a stack with an empty configuration, for the steps' tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.terraform import WorkingCopy, Workspace


@pytest.fixture
def copy(tmp_path: Path) -> WorkingCopy:
    source = tmp_path / "generated" / "stacks" / "tenant-acme"
    source.mkdir(parents=True)
    (source / "cdk.tf.json").write_text("{}")
    return Workspace(tmp_path / "work").checkout("tenant-acme", source)
