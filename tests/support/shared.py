"""Work done once per test run, however many pytest-xdist workers need it.

A session fixture runs once in every worker that uses it; for a result that is expensive
and the same everywhere (the compiled stacks of every spec set, a scaffolded repository),
`once` computes it in the first worker that asks, under a lock in the folder that every
worker of the run shares, and the others read it from there. Without workers it simply
computes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")


def run_folder(factory: pytest.TempPathFactory) -> Path | None:
    """The folder the workers of this run share (each worker's base is `popen-gwN` in it);
    None without workers."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return None
    return factory.getbasetemp().parent


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created) for the block."""
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def once(factory: pytest.TempPathFactory, name: str, compute: Callable[[], T]) -> T:
    """`compute()`, run by one worker of the run; the others unpickle what it kept."""
    shared = run_folder(factory)
    if shared is None:
        return compute()
    kept = shared / f"shared-{name}.pickle"
    with locked(shared / f"shared-{name}.lock"):
        if kept.is_file():
            value: T = pickle.loads(kept.read_bytes())
            return value
        value = compute()
        partial = kept.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value))
        partial.replace(kept)
        return value


def folder_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder `make(folder)` fills, made by one worker of the run and read by all (never
    change it: copy it)."""
    shared = run_folder(factory)
    if shared is None:
        folder = factory.mktemp(name)
        make(folder)
        return folder
    folder = shared / f"shared-{name}"
    done = shared / f"shared-{name}.done"
    with locked(shared / f"shared-{name}.lock"):
        if not done.is_file():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            make(folder)
            done.touch()
    return folder
