"""Stacks of the repository's spec sets and of the behaviour spec, built once per session."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from compiler.emit import Artifact
from tests.conftest import ALL_SPECS
from tests.emit.stacks.compiled import effective_artifacts, family_artifacts
from tests.emit.stacks.specs import S3, spec_files
from tests.support.shared import once

SPEC_SETS = {path.name if path.parent.name == "examples" else "spec": path for path in ALL_SPECS}
# Every set the tests compile: the repository's and the behaviour spec with both backends.
SET_NAMES = sorted([*SPEC_SETS, "behaviour-local", "behaviour-s3"])


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@pytest.fixture(scope="session")
def behaviour_specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The behaviour spec (tests/emit/stacks/specs.py) with a local and an s3 backend."""
    root = tmp_path_factory.mktemp("behaviour")
    return {
        "behaviour-local": write_files(root / "local", spec_files()),
        "behaviour-s3": write_files(root / "s3", spec_files(S3)),
    }


@pytest.fixture(scope="session")
def family_sets(
    behaviour_specs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[Artifact]]:
    """{set name: what the stacks family writes} for spec/, each example and the behaviour
    specs: root stacks, and each shape's module, template and lock file (compiled once per
    run: the workers that need them share them)."""
    folders = {**SPEC_SETS, **behaviour_specs}
    return once(
        tmp_path_factory,
        "compiled-stack-sets",
        lambda: {name: family_artifacts(folder) for name, folder in sorted(folders.items())},
    )


@pytest.fixture(scope="session")
def compiled_sets(family_sets: dict[str, list[Artifact]]) -> dict[str, list[Artifact]]:
    """{set name: each stack as one configuration} (`tests.emit.stacks.effective`): the
    behaviour tests read what Terraform evaluates, module inputs replaced by values."""
    return {name: effective_artifacts(artifacts) for name, artifacts in family_sets.items()}


@pytest.fixture(scope="session")
def behaviour(compiled_sets: dict[str, list[Artifact]]) -> dict[str, dict[str, Any]]:
    """{stack name: parsed cdk.tf.json} of the behaviour spec with the local backend."""
    return {a.path.split("/")[1]: json.loads(a.content) for a in compiled_sets["behaviour-local"]}
