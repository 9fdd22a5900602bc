"""The environment cdktn's JavaScript runtime starts with. No cdktn import here: this must run
before cdktn is first imported, which is when jsii starts `node`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from compiler.errors import EnvironmentProblem


def prepare_environment() -> None:
    """Quiet jsii's banner about node 20 and keep its package cache in the build folder.

    Without the cache setting jsii unpacks ~400 MB under the home folder; in a source
    checkout it goes to `.build/jsii-cache` instead. Values already set are kept (the
    Makefile sets both).
    """
    if shutil.which("node") is None:
        raise EnvironmentProblem(
            "'node' is not installed: CDK for Terraform (cdktn) runs on Node.js; "
            "install Node.js 20 or later (e.g. apt-get install nodejs) and compile again"
        )
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file():
        os.environ.setdefault(
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(root / ".build" / "jsii-cache")
        )
