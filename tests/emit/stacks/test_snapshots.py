"""The stacks of spec/ and of each example, byte for byte, as reviewed snapshot files.

Each snapshot is the stack's `cdk.tf.json` exactly as written, so a snapshot diff reads like
the pull request diff of `generated/stacks/`.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from compiler.emit import Artifact
from tests.emit.stacks.conftest import SPEC_SETS


class StackFile(SingleFileSnapshotExtension):
    file_extension = "json"
    _write_mode = WriteMode.BINARY


@pytest.mark.parametrize("name", sorted(SPEC_SETS))
def test_stacks_match_the_reviewed_snapshots(
    compiled_sets: dict[str, list[Artifact]], name: str, snapshot: SnapshotAssertion
) -> None:
    artifacts = compiled_sets[name]
    assert [a.path for a in artifacts] == snapshot(name="paths")
    for artifact in artifacts:
        stack = artifact.path.split("/")[1]
        assert artifact.content == snapshot(name=stack, extension_class=StackFile)
