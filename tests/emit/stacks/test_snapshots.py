"""The stacks of spec/ and of each example, byte for byte, as reviewed snapshot files.

Each snapshot is a file exactly as written: a stack's root `cdk.tf.json`, a shape's module
`cdk.tf.json` and its root-stack template, so a snapshot diff reads like the pull request
diff of `generated/stacks/` and `generated/modules/` (the lock file has tests of its own).
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from compiler.emit import Artifact
from compiler.emit.stacks.provider import LOCK_FILE
from tests.emit.stacks.conftest import SPEC_SETS


class StackFile(SingleFileSnapshotExtension):
    file_extension = "json"
    _write_mode = WriteMode.BINARY


@pytest.mark.parametrize("name", sorted(SPEC_SETS))
def test_stacks_match_the_reviewed_snapshots(
    family_sets: dict[str, list[Artifact]], name: str, snapshot: SnapshotAssertion
) -> None:
    artifacts = [a for a in family_sets[name] if not a.path.endswith(LOCK_FILE)]
    assert [a.path for a in family_sets[name]] == snapshot(name="paths")
    for artifact in artifacts:
        folder, shape_or_stack, file = artifact.path.split("/")
        label = shape_or_stack if file == "cdk.tf.json" else f"{shape_or_stack}.{file}"
        assert artifact.content == snapshot(name=f"{folder}.{label}", extension_class=StackFile)
