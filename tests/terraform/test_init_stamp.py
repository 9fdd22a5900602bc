"""`init` is skipped for a working copy whose inputs have not changed since its last
successful init, and runs again after any change to them (`compiler.terraform.init_stamp`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compiler.terraform import Completed, Terraform, TerraformError, WorkingCopy, Workspace
from compiler.terraform.init_stamp import STAMP

MODULE = {"module": {"stack": {"source": "../../modules/tenant-small"}}}


@dataclass
class FakeInit:
    """Answers `init` as terraform does: makes `.terraform/` (unless told to fail)."""

    fail: bool = False
    inits: list[Path] = field(default_factory=list)

    def run(
        self, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float | None
    ) -> Completed:
        assert args[0] == "init", args
        self.inits.append(cwd)
        if self.fail:
            return Completed(tuple(args), 1, "", "Error: Failed to query available provider")
        (cwd / ".terraform").mkdir(exist_ok=True)
        return Completed(tuple(args), 0, "", "")


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    root = tmp_path / "spec-out"
    (root / "stacks" / "tenant-acme").mkdir(parents=True)
    (root / "stacks" / "tenant-acme" / "cdk.tf.json").write_text(json.dumps(MODULE))
    (root / "modules" / "tenant-small").mkdir(parents=True)
    (root / "modules" / "tenant-small" / "cdk.tf.json").write_text('{"resource": {}}')
    return root


def checkout(tmp_path: Path, generated: Path, override: Path | None = None) -> WorkingCopy:
    return Workspace(tmp_path / "work").checkout(
        "tenant-acme", generated / "stacks" / "tenant-acme", override
    )


def test_an_unchanged_copy_is_initialised_once(tmp_path: Path, generated: Path) -> None:
    fake = FakeInit()
    tf = Terraform(fake)
    for _ in range(3):
        tf.init(checkout(tmp_path, generated))
    assert len(fake.inits) == 1
    assert (checkout(tmp_path, generated).path / STAMP).is_file()


@pytest.mark.parametrize(
    "change",
    [
        "the stack's configuration",
        "the module it calls",
        "the provider lock file",
        "the override file",
        "terraform's folder removed",
    ],
)
def test_a_copy_that_changed_is_initialised_again(
    tmp_path: Path, generated: Path, change: str
) -> None:
    fake = FakeInit()
    tf = Terraform(fake)
    override = tmp_path / "emulator.tf.json"
    override.write_text('{"provider": {"aws": [{"region": "eu-central-1"}]}}')
    copy = checkout(tmp_path, generated, override)
    tf.init(copy)
    if change == "the stack's configuration":
        changed = {**MODULE, "output": {"id": {"value": "x"}}}
        (generated / "stacks" / "tenant-acme" / "cdk.tf.json").write_text(json.dumps(changed))
    elif change == "the module it calls":
        (generated / "modules" / "tenant-small" / "cdk.tf.json").write_text('{"output": {}}')
    elif change == "the provider lock file":
        (copy.path / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/x" {}')
    elif change == "the override file":
        override.write_text('{"provider": {"aws": [{"region": "us-east-1"}]}}')
    else:
        shutil.rmtree(copy.path / ".terraform")
    tf.init(checkout(tmp_path, generated, override))
    assert len(fake.inits) == 2, change


def test_other_backend_settings_initialise_again(tmp_path: Path, generated: Path) -> None:
    fake = FakeInit()
    tf = Terraform(fake)
    settings = tmp_path / "emulator.tfbackend"
    settings.write_text('path = "a.tfstate"\n')
    copy = checkout(tmp_path, generated)
    tf.init(copy, backend_config=settings)
    tf.init(copy, backend_config=settings)
    assert len(fake.inits) == 1
    settings.write_text('path = "b.tfstate"\n')
    tf.init(copy, backend_config=settings)
    tf.init(copy)
    assert len(fake.inits) == 3


def test_a_failed_init_is_tried_again(tmp_path: Path, generated: Path) -> None:
    copy = checkout(tmp_path, generated)
    Terraform(FakeInit()).init(copy)
    (generated / "modules" / "tenant-small" / "cdk.tf.json").write_text('{"output": {}}')
    failing = FakeInit(fail=True)
    with pytest.raises(TerraformError):
        Terraform(failing).init(checkout(tmp_path, generated))
    assert not (copy.path / STAMP).exists()
    # Even with the inputs put back as they were when init last succeeded.
    (generated / "modules" / "tenant-small" / "cdk.tf.json").write_text('{"resource": {}}')
    again = FakeInit()
    Terraform(again).init(checkout(tmp_path, generated))
    assert len(again.inits) == 1


def test_a_module_from_elsewhere_is_always_initialised(copy: WorkingCopy) -> None:
    """A copy whose inputs cannot be all read is never taken as unchanged."""
    elsewhere = {"module": {"stack": {"source": "git::https://example.com/m.git"}}}
    (copy.path / "extra.tf.json").write_text(json.dumps(elsewhere))
    fake = FakeInit()
    Terraform(fake).init(copy)
    Terraform(fake).init(copy)
    assert len(fake.inits) == 2
