"""Every stack of spec/, the examples and the behaviour specs (one with a stack of every
shape) passes `terraform validate` against the real AWS provider 5.100.0, offline when a
plugin mirror is present.

All stacks are validated in one working folder, each as a module of one root, so the
provider is installed once and terraform runs once. Each set is written in the generated
layout (`stacks/<stack>/`, `modules/<shape>/`), so every root stack finds its shape's module
at `../../modules/<shape>` and validate loads both. Each stack keeps its own provider and
backend blocks exactly as generated: terraform warns that a module's backend is ignored,
which is the only warning allowed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.emit import Artifact
from tests.emit.stacks.compiled import family_artifacts
from tests.emit.stacks.conftest import write_files
from tests.emit.stacks.specs import every_shape_files
from tests.emit.stacks.terraform import HOW_TO_GET, find_mirror, run, terraform, terraform_env
from tests.support.tools import missing

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

IGNORED_BACKEND = "Backend configuration ignored"
# A value for each input a stack may declare (they are set when applying).
INPUTS = {
    "app_image": "registry.example/app@sha256:" + "0" * 64,
    "api_backend_url": "https://api.internal.example",
}


def write_root(root: Path, compiled: dict[str, list[Artifact]]) -> dict[str, dict[str, str]]:
    modules: dict[str, dict[str, str]] = {}
    for set_name, artifacts in compiled.items():
        for artifact in artifacts:
            target = root / set_name / artifact.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(artifact.content)
            if not artifact.path.startswith("stacks/"):
                continue
            if "aws" not in json.loads(artifact.content)["terraform"]["required_providers"]:
                continue  # no other provider binary here: those are schema-checked only
            module = {"source": f"./{target.parent.relative_to(root).as_posix()}"}
            for name in json.loads(artifact.content).get("variable", {}):
                module[name] = INPUTS[name]
            modules[f"{set_name}__{target.parent.name}"] = module
    (root / "main.tf.json").write_text(json.dumps({"module": modules}, indent=2))
    return modules


def test_every_stack_passes_terraform_validate(
    family_sets: dict[str, list[Artifact]], tmp_path: Path
) -> None:
    binary = terraform()
    root = tmp_path / "root"
    root.mkdir()
    every_shape = write_files(tmp_path / "every-shape", every_shape_files())
    modules = write_root(root, {**family_sets, "every-shape": family_artifacts(every_shape)})
    env = terraform_env(tmp_path)
    mirror = find_mirror()
    try:
        run(binary, ["init", "-backend=false", "-input=false", "-no-color"], root, env)
    except AssertionError as failed:
        if mirror is not None:
            raise
        missing(
            "the AWS provider 5.100.0 (no plugin mirror, and downloading it failed)",
            f"{HOW_TO_GET}\n{failed}",
        )
    if mirror is not None:
        installed = root / ".terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0"
        assert next(installed.iterdir()).resolve().is_relative_to(mirror.resolve())
    result = json.loads(run(binary, ["validate", "-json", "-no-color"], root, env).stdout)
    unexpected = [d for d in result["diagnostics"] if d["summary"] != IGNORED_BACKEND]
    assert unexpected == []
    assert result["valid"] is True
    # One ignored backend per module: every module was loaded and checked.
    assert result["warning_count"] == len(modules)
