"""checkov over every stack of spec/, the examples and the behaviour spec: every file parsed,
checks run, and the failures exactly the reviewed ones of checkov-baseline.yaml
(tests/emit/stacks/checkov.py says how and why it runs the way it does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.emit import Artifact
from tests.emit.stacks.checkov import (
    STACK_FILE,
    checkov,
    compare,
    load_baseline,
    run_checkov,
    scan,
    write_copies,
)

pytestmark = [pytest.mark.slow]


def test_checkov_finds_only_reviewed_findings(
    compiled_sets: dict[str, list[Artifact]], tmp_path: Path
) -> None:
    binary = checkov()
    stacks = {
        f"{name}/{artifact.path.split('/')[1]}": artifact.content
        for name, artifacts in compiled_sets.items()
        for artifact in artifacts
    }
    copies = write_copies(tmp_path, stacks)
    report = scan(binary, tmp_path, copies)
    assert report.parsing_errors == 0
    assert report.files == set(copies)  # every stack was parsed and checked
    assert report.passed > 500
    unexpected, stale = compare(report, load_baseline())
    assert unexpected == []
    assert stale == []


def test_the_baseline_gives_one_reason_per_check() -> None:
    for entry in load_baseline().values():
        assert entry.check_id.startswith(("CKV_AWS_", "CKV2_AWS_"))
        assert entry.reason.strip()
        assert "\n" not in entry.reason.strip()
        assert entry.resources
        assert len(set(entry.resources)) == len(entry.resources)


def test_checkov_cannot_parse_the_stacks_as_written(
    compiled_sets: dict[str, list[Artifact]], tmp_path: Path
) -> None:
    """Why the copies drop `required_version`: with it, checkov parses nothing and says all
    is well. Once a checkov release parses it, this fails, and the workaround can go."""
    binary = checkov()
    artifact = next(a for a in compiled_sets["spec"] if "/tenant-hooli/" in a.path)
    assert "required_version" in json.loads(artifact.content)["terraform"]
    (tmp_path / "as-written").mkdir()
    (tmp_path / "as-written" / STACK_FILE).write_bytes(artifact.content)
    summary = run_checkov(binary, tmp_path)["summary"]
    assert summary["parsing_errors"] == 1
    assert summary["passed"] + summary["failed"] == 0
