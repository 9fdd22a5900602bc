"""Placing the modules a stack's working copy calls (compiler/terraform/modules.py)."""

from __future__ import annotations

import json
from pathlib import Path

from compiler.terraform import modules


def _root(generated: Path, stack: str, calls: dict[str, str]) -> Path:
    folder = generated / "stacks" / stack
    folder.mkdir(parents=True)
    blocks = {call: {"source": f"../../modules/{name}"} for call, name in calls.items()}
    (folder / "cdk.tf.json").write_text(json.dumps({"module": blocks} if blocks else {}))
    for name in calls.values():
        module = generated / "modules" / name
        module.mkdir(parents=True, exist_ok=True)
        (module / "cdk.tf.json").write_text('{"resource": {}}')
    return folder


def test_a_private_module_is_called_through_the_override(tmp_path: Path) -> None:
    source = _root(tmp_path / "generated", "tenant-acme", {"tenant": "aws-silo"})
    copy = tmp_path / "work" / "stacks" / "tenant-acme"
    copy.mkdir(parents=True)
    modules.place(tmp_path / "work", copy, source, private=True)
    override = json.loads((copy / modules.SOURCE_OVERRIDE).read_text())
    assert override == {"module": {"tenant": {"source": "./paybill-modules/aws-silo"}}}
    assert (copy / "paybill-modules" / "aws-silo" / "cdk.tf.json").is_file()


def test_a_root_of_no_module_gets_no_override(tmp_path: Path) -> None:
    """A teardown's configuration calls no module: an override naming none (`"module": {}`)
    is a configuration terraform refuses to initialise."""
    source = _root(tmp_path / "generated", "tenant-zulu", {})
    copy = tmp_path / "work" / "stacks" / "tenant-zulu"
    copy.mkdir(parents=True)
    (copy / modules.SOURCE_OVERRIDE).write_text('{"module": {"tenant": {}}}')  # an earlier one
    modules.place(tmp_path / "work", copy, source, private=True)
    assert not (copy / modules.SOURCE_OVERRIDE).exists()
    assert not (copy / "paybill-modules").exists()
