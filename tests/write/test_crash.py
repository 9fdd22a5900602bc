"""A compile killed at any moment leaves a folder the next run finishes or rolls back: after
it, the folder is exactly the old output or exactly the new one, never a mix, never gone."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler.pipeline import compile_spec
from tests.conftest import SPEC
from tests.support.tools import REPO

# Kills the compile (like kill -9: no cleanup runs) at the K-th rename, or, with K=0, once
# every new file is staged and before the journal is written; K=-1 counts the renames.
DRIVER = """
import os, sys
from pathlib import Path
from compiler.pipeline import compile_spec
from compiler.write import journal

kill_at = int(sys.argv[3])
real = os.replace
calls = [0]

def replace(*args, **kwargs):
    calls[0] += 1
    if calls[0] == kill_at:
        os._exit(9)
    return real(*args, **kwargs)

os.replace = replace
if kill_at == 0:
    journal._sync = lambda staging, count: os._exit(9)
compile_spec(Path(sys.argv[1]), Path(sys.argv[2]))
print(calls[0])
"""


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """spec/ and a change that rewrites many SQL and ACL files (no stack: no Node.js start)."""
    root = tmp_path_factory.mktemp("crash")
    old, new = root / "old", root / "new"
    shutil.copytree(SPEC, old)
    shutil.copytree(SPEC, new)
    path = new / "workflows/invoice-reminders.yaml"
    text = path.read_text()
    assert "columns: [reminder_sent_at]" in text
    path.write_text(
        text.replace("columns: [reminder_sent_at]", "columns: [reminder_sent_at, status]")
    )
    return old, new


def compiled(tmp_path: Path, old: Path) -> Path:
    out = tmp_path / "generated"
    compile_spec(old, out)
    return out


def run_driver(new: Path, out: Path, kill_at: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", DRIVER, str(new), str(out), str(kill_at)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def old_or_new(out: Path, old: Path, new: Path) -> str:
    """Which complete compile the folder is, after the next run recovered it."""
    assert out.is_dir()
    current = [
        name
        for name, spec in (("old", old), ("new", new))
        if not compile_spec(spec, out, check=True).changes
    ]
    assert len(current) == 1, current
    return current[0]


def test_a_kill_at_every_step_of_the_write_leaves_the_old_or_the_new_output(
    tmp_path: Path, specs: tuple[Path, Path]
) -> None:
    old, new = specs
    counted = run_driver(new, compiled(tmp_path / "count", old), -1)
    assert counted.returncode == 0, counted.stderr
    renames = int(counted.stdout.split()[-1])  # the journal, every moved file, the disk cache
    assert renames > 10
    outcomes = {}
    for kill_at in sorted({0, 1, 2, 3, renames // 2, renames - 2, renames - 1, renames}):
        out = compiled(tmp_path / f"k{kill_at}", old)
        killed = run_driver(new, out, kill_at)
        assert killed.returncode == 9, killed.stderr
        outcomes[kill_at] = old_or_new(out, old, new)
        assert not (out / ".paybill/staging").exists()
        assert not (out / ".paybill/journal.json").exists()
    # Before the journal is committed the old output stays; after, the new one is finished.
    assert outcomes == {k: "old" if k <= 1 else "new" for k in outcomes}


@pytest.mark.slow
def test_kill_9_at_random_moments(tmp_path: Path, specs: tuple[Path, Path]) -> None:
    old, new = specs
    out = compiled(tmp_path, old)
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "compiler", "compile", str(new), "--out", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    took = time.monotonic() - start
    chance = random.Random(os.environ.get("PYTHONHASHSEED", "7"))
    for round_ in range(8):
        target, other = (old, new) if round_ % 2 == 0 else (new, old)
        run = subprocess.Popen(
            [sys.executable, "-m", "compiler", "compile", str(target), "--out", str(out)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(chance.uniform(0.2, took))
        run.send_signal(signal.SIGKILL)
        run.wait()
        old_or_new(out, target, other)  # exactly one of the two, whenever the kill came
