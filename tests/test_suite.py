"""The suite's own machinery, run as `make pytest` runs it (pytest-xdist workers): a missing
tool fails under CI=true and skips elsewhere, the longest waits are handed out first, and a
process a test leaves running fails the run (docs/development.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.leaks import TOKEN_VARIABLE
from tests.support.schedule import order
from tests.support.tools import REPO

# Each inner run of pytest starts workers of its own: a minute and more on two cores.
pytestmark = pytest.mark.slow

MISSING_TOOL = """
from tests.support.tools import require_binary

def test_needs_a_tool():
    require_binary("paybill-no-such-tool", "nothing to install")
"""


def inner_pytest(
    folder: Path, files: dict[str, str], *args: str, ci: bool = False
) -> subprocess.CompletedProcess[str]:
    """pytest on `files` in `folder`, with the suite's plugins, as a run of its own (none of
    this run's variables: not its workers', not its token)."""
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip())
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_") and k not in ("CI", TOKEN_VARIABLE)
    }
    env.update(PYTHONPATH=str(REPO), **({"CI": "true"} if ci else {}))
    options = ["-c", os.devnull, "--rootdir", str(folder), "-p", "no:cacheprovider", "-q"]
    plugins = ["-p", "tests.support.leaks", "-p", "tests.support.schedule"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options, *plugins, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def collection_order(folder: Path, files: dict[str, str]) -> tuple[list[str], str]:
    """The tests of `files` in the order the schedule hands them out, and pytest's output."""
    done = inner_pytest(folder, files, "--collect-only", "-W", "ignore::pytest.PytestWarning")
    listed = [line for line in done.stdout.splitlines() if "::" in line]
    return listed, done.stdout + done.stderr


def test_a_missing_tool_fails_a_worker_under_ci(tmp_path: Path) -> None:
    done = inner_pytest(tmp_path, {"test_tool.py": MISSING_TOOL}, "-n", "2", ci=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed" in done.stdout
    assert "CI=true: missing tools are failures, not skips" in done.stdout


def test_a_missing_tool_skips_a_worker_elsewhere(tmp_path: Path) -> None:
    done = inner_pytest(tmp_path, {"test_tool.py": MISSING_TOOL}, "-n", "2", "-rs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "'paybill-no-such-tool' is not available: nothing to install" in done.stdout


def test_the_longest_waits_are_handed_out_first(tmp_path: Path) -> None:
    files = {
        "test_a.py": "def test_quick():\n    pass\n\ndef test_quick_too():\n    pass\n",
        "test_b.py": "import pytest\n\n@pytest.mark.slow\ndef test_slow():\n    pass\n",
        "test_c.py": "def test_plain():\n    pass\n",
        "test_d.py": (
            "import pytest\n\ndef test_before():\n    pass\n\n"
            "@pytest.mark.emulator\ndef test_waits():\n    pass\n"
        ),
    }
    listed, output = collection_order(tmp_path, files)
    assert listed == [
        "test_d.py::test_before",
        "test_d.py::test_waits",
        "test_b.py::test_slow",
        "test_a.py::test_quick",
        "test_a.py::test_quick_too",
        "test_c.py::test_plain",
    ], output


def test_a_slow_module_on_the_emulator_starts_first_even_unmarked(tmp_path: Path) -> None:
    """An unmarked module that applies stacks on the session's emulator (as the upgrade
    test once was) would start among the last and end the run minutes late."""
    fixture = "import pytest\n\n@pytest.fixture\ndef emulator():\n    return 'emulator'\n"
    files = {
        "conftest.py": fixture,
        "test_b.py": "import pytest\n\n@pytest.mark.slow\ndef test_slow():\n    pass\n",
        "test_c.py": "def test_quick(emulator):\n    pass\n",
        "test_d.py": (
            "import pytest\n\n@pytest.fixture\ndef applied(emulator):\n    return emulator\n\n"
            "@pytest.mark.slow\ndef test_applies(applied):\n    pass\n"
        ),
    }
    listed, output = collection_order(tmp_path, files)
    assert listed == [
        "test_d.py::test_applies",
        "test_b.py::test_slow",
        "test_c.py::test_quick",
    ], output


@dataclass
class FakeItem:
    """What the schedule reads of a test: its id, its markers, its fixtures."""

    nodeid: str
    markers: tuple[str, ...] = ()
    fixturenames: tuple[str, ...] = ()

    def get_closest_marker(self, name: str) -> object:
        return name if name in self.markers else None


def test_quick_modules_wait_behind_the_first_ones_on_workers() -> None:
    """xdist gives a worker whose module has one or two tests a second module at once,
    queued behind it: with two workers, the third and fourth modules handed out are the
    quickest, not a slow one stuck behind a long emulator test."""
    items = [
        FakeItem("test_walk.py::test_walk", ("emulator", "slow")),
        FakeItem("test_teardown.py::test_teardown", ("emulator", "slow")),
        FakeItem("test_validate.py::test_validate", ("slow",)),
        FakeItem("test_pg.py::test_pg", ("postgres",)),
        FakeItem("test_a.py::test_a"),
        FakeItem("test_b.py::test_b"),
        FakeItem("test_c.py::test_c"),
    ]
    handed_out = items[:]
    order(handed_out, workers=2)  # type: ignore[arg-type]
    assert [i.nodeid.split("::")[0] for i in handed_out] == [
        "test_walk.py",
        "test_teardown.py",
        "test_b.py",
        "test_c.py",
        "test_validate.py",
        "test_pg.py",
        "test_a.py",
    ]
    alone = items[:]
    order(alone)  # type: ignore[arg-type]
    assert [i.nodeid.split("::")[0] for i in alone][2:5] == [
        "test_validate.py",
        "test_pg.py",
        "test_a.py",
    ]


LEAK = """
import subprocess, sys

def test_starts_a_server_and_forgets_it():
    subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)  # a forgotten server"],
        start_new_session=True,
    )
"""


def test_a_process_left_running_is_stopped_and_fails_the_run(tmp_path: Path) -> None:
    done = inner_pytest(tmp_path, {"test_leak.py": LEAK}, "-n", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "processes started by the tests were still running (now stopped):" in done.stdout
    (pid,) = re.findall(r"^  (\d+): .*a forgotten server", done.stdout, re.MULTILINE)
    assert not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
