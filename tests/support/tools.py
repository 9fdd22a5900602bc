"""External tools the tests need: skip with the reason locally, fail in CI.

In CI (`CI=true`) a missing binary is a failure, never a silent skip: the project's own
files (Makefile, scripts/) are responsible for installing what the tests need.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(what: str, how: str) -> None:
    """Fail under CI, skip otherwise — with what is missing and how to get it."""
    message = f"{what} is not available: {how}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: missing tools are failures, not skips)")
    pytest.skip(message)


def require_binary(name: str, how: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"'{name}'", how)
    assert path is not None
    return path
