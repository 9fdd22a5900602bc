"""Creating the staged files (compiler/write/new_files.py): in place while the disk is fast,
by threads once a batch shows it slow, every file whole either way, a thread's error
raised to the compile, and never more than a few batches of bytes waiting."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from compiler.write import new_files
from compiler.write.new_files import BATCH, BATCHES_WAITING, NewFiles


def contents(count: int) -> dict[str, bytes]:
    return {f"f{i}": f"file {i}\n".encode() * (i % 7) for i in range(count)}


@pytest.mark.parametrize(("slow_file", "threaded"), [(60.0, False), (0.0, True)])
def test_every_file_is_written_whole_in_place_or_by_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_file: float, threaded: bool
) -> None:
    monkeypatch.setattr(new_files, "SLOW_FILE", slow_file)  # a fast disk / a slow one
    files = NewFiles()
    wanted = contents(BATCH * 5 + 3)
    for name, content in wanted.items():
        files.add(str(tmp_path / name), content)
    files.finish()
    assert files.threaded is threaded
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == wanted


def test_a_threads_error_is_raised_by_the_next_add_or_by_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(new_files, "SLOW_FILE", 0.0)
    files = NewFiles()
    for i in range(BATCH):  # written in place, and slow: the next batches go to threads
        files.add(str(tmp_path / f"a{i}"), b"a")
    (tmp_path / "taken").write_bytes(b"there before")
    files.add(str(tmp_path / "taken"), b"b")  # a file that exists is never overwritten
    with pytest.raises(FileExistsError):
        files.finish()
    assert (tmp_path / "taken").read_bytes() == b"there before"
    later = NewFiles()
    monkeypatch.setattr(new_files, "write_new", _refuse)
    for i in range(BATCH - 1):
        later.add(str(tmp_path / f"b{i}"), b"b")
    with pytest.raises(PermissionError):  # in place: raised by the add that writes
        later.add(str(tmp_path / "last"), b"b")


def _refuse(path: str, content: bytes) -> None:
    raise PermissionError(13, "Permission denied", path)


def test_at_most_a_few_batches_wait_for_the_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(new_files, "SLOW_FILE", 0.0)
    files = NewFiles()
    for i in range(BATCH):  # the first batch, in place, turns the threads on
        files.add(str(tmp_path / f"first{i}"), b"x")
    assert files.threaded
    held = threading.Event()
    written = new_files.write_new

    def stuck(path: str, content: bytes) -> None:
        held.wait(30)
        written(path, content)

    monkeypatch.setattr(new_files, "write_new", stuck)
    handed: list[int] = []

    def producer() -> None:
        for i in range(BATCH * (BATCHES_WAITING + 4)):
            files.add(str(tmp_path / f"more{i}"), b"y")
            if (i + 1) % BATCH == 0:
                handed.append(i)

    thread = threading.Thread(target=producer)
    thread.start()
    thread.join(2)
    assert thread.is_alive()  # blocked: the threads write nothing while held
    assert len(handed) == BATCHES_WAITING
    held.set()
    thread.join(30)
    files.finish()
    assert len(list(tmp_path.iterdir())) == BATCH * (BATCHES_WAITING + 5)
