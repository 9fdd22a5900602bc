"""A compile killed at any moment leaves a folder the next run finishes or rolls back: after
it, the folder is exactly the old output or exactly the new one, never a mix, never gone;
and a cache that the next compiles can trust or rebuild, never one that makes them emit
something else than the spec compiles to."""

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

# Kills the compile (like kill -9: no cleanup runs) at the K-th rename (the journal, every
# moved file, then the cache), or, with K=0, once every new file is staged and before the
# journal is written; K=-1 counts the renames. `cache-half` kills it halfway through writing
# the new cache, once the output is written.
DRIVER = """
import os, pathlib, sys
from pathlib import Path
from compiler.pipeline import compile_spec
from compiler.write import journal

kill_at = sys.argv[3]
real = os.replace
calls = [0]

def replace(*args, **kwargs):
    calls[0] += 1
    if str(calls[0]) == kill_at:
        os._exit(9)
    return real(*args, **kwargs)

class HalfWritten:
    def __init__(self, handle):
        self.handle = handle
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.handle.close()
    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        os._exit(9)

real_open = pathlib.Path.open

def open_(path, mode="r", *args, **kwargs):
    handle = real_open(path, mode, *args, **kwargs)
    if kill_at == "cache-half" and "w" in mode and path.name.startswith("cache."):
        return HalfWritten(handle)
    return handle

os.replace = replace
pathlib.Path.open = open_
if kill_at == "0":
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


@pytest.fixture(scope="module")
def compiled_old(specs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The old spec, compiled once (`spec/`, `generated/`); each test copies it."""
    root = tmp_path_factory.mktemp("compiled")
    shutil.copytree(specs[0], root / "spec")
    compile_spec(root / "spec", root / "generated")
    return root


def compiled(tmp_path: Path, compiled_old: Path) -> Path:
    """A copy of the compiled old spec in `tmp_path`, compiled there (nothing to write: it
    only learns the copy's files, as a compile into that folder would have left them)."""
    shutil.copytree(compiled_old, tmp_path)
    compile_spec(tmp_path / "spec", tmp_path / "generated")
    return tmp_path / "generated"


def run_driver(new: Path, out: Path, kill_at: int | str) -> subprocess.CompletedProcess[str]:
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
    tmp_path: Path, specs: tuple[Path, Path], compiled_old: Path
) -> None:
    old, new = specs
    counted = run_driver(new, compiled(tmp_path / "count", compiled_old), -1)
    assert counted.returncode == 0, counted.stderr
    renames = int(counted.stdout.split()[-1])  # the journal, every moved file, the cache
    assert renames > 10
    outcomes = {}
    for kill_at in sorted({0, 1, 2, 3, renames // 2, renames - 2, renames - 1, renames}):
        out = compiled(tmp_path / f"k{kill_at}", compiled_old)
        killed = run_driver(new, out, kill_at)
        assert killed.returncode == 9, killed.stderr
        outcomes[kill_at] = old_or_new(out, old, new)
        assert not (out / ".paybill/staging").exists()
        assert not (out / ".paybill/journal.json").exists()
    # Before the journal is committed the old output stays; after, the new one is finished.
    assert outcomes == {k: "old" if k <= 1 else "new" for k in outcomes}


@pytest.mark.slow
def test_kill_9_at_random_moments(
    tmp_path: Path, specs: tuple[Path, Path], compiled_old: Path
) -> None:
    old, new = specs
    out = compiled(tmp_path / "random", compiled_old)
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


def current(out: Path, spec: Path) -> bool:
    return not compile_spec(spec, out, check=True).changes


@pytest.mark.parametrize("change", ["shared", "tenant"])
def test_a_kill_at_any_step_leaves_a_cache_the_next_compiles_trust_or_rebuild(
    tmp_path: Path, specs: tuple[Path, Path], compiled_old: Path, change: str
) -> None:
    """Killed while writing the output or the cache, after a change to a shared document
    (a whole compile) or to one tenant's file (a narrowed one, in the same spec folder): the
    next compile of the spec gives exactly its output, the one after finds nothing to do
    (the cache it left is sound), and going back to the old spec gives the old output."""
    old, new = specs
    if change == "tenant":
        new = tmp_path / "tenant-changed"
        shutil.copytree(old, new)
        path = new / "tenants/initech.yaml"
        path.write_text(path.read_text().replace("status: active}", "status: past_due}"))
    edited = {p.relative_to(new) for p in new.rglob("*.yaml")}
    changed = [r for r in sorted(edited) if (old / r).read_bytes() != (new / r).read_bytes()]
    assert len(changed) == 1

    def compiled_folder(name: str) -> tuple[Path, Path]:
        """A spec folder holding the old spec, compiled, then edited into the new one."""
        out = compiled(tmp_path / name, compiled_old)
        spec = tmp_path / name / "spec"
        shutil.copy(new / changed[0], spec / changed[0])
        return spec, out

    counted = run_driver(*compiled_folder("count"), -1)
    assert counted.returncode == 0, counted.stderr
    renames = int(counted.stdout.split()[-1])
    for kill_at in [*sorted({0, 1, 2, renames - 1, renames}), "cache-half"]:
        spec, out = compiled_folder(f"k{kill_at}")
        killed = run_driver(spec, out, kill_at)
        assert killed.returncode == 9, killed.stderr
        compile_spec(spec, out)
        assert current(out, new), kill_at
        again = compile_spec(spec, out)
        assert (again.incremental, again.changes) == ((), []), kill_at
        assert sorted(p.name for p in (out / ".paybill").iterdir()) == [".gitignore", "cache"]
        shutil.copy(old / changed[0], spec / changed[0])
        back = compile_spec(spec, out)
        assert current(out, old), kill_at
        assert back.incremental == (None if change == "shared" else ("initech",)), kill_at
