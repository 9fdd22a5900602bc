"""Creating the staged files: in the compile's own thread while that is cheap, and by two
threads once the disk shows it is not.

Creating a file is kernel time: 0.02 ms on this project's machines, up to 0.8 ms on a disk
that freed many inodes in the last half-minute (docs/performance.md, "What the file system
charges"). Measured on 1,000 tenants (10,531 files): with the disk slow, two threads
writing while the compile builds the next files take 1.5 to 3 s off the compile; with the
disk fast, the same threads cost 0.4 to 0.8 s (the threads and the compile take turns at Python's
lock for every call). So each batch is written in place and timed, and the first slow
batch hands every later one to the threads. At most `BATCHES_WAITING` batches wait for
them, so a fleet's bytes are never all in memory. The first error of a thread is raised
by the next `add` or by `finish`, which waits for every file.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

WRITERS = 2  # threads creating files once the disk is slow
BATCH = 64  # files written, or handed over, at once
BATCHES_WAITING = 8  # batches handed over and not written yet, at most
SLOW_FILE = 0.0001  # seconds a file may take, on average over a batch, before threads help
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


class NewFiles:
    def __init__(self) -> None:
        self._batch: list[tuple[str, bytes]] = []
        self._threads: ThreadPoolExecutor | None = None
        self._slots = threading.BoundedSemaphore(BATCHES_WAITING)
        self._failures: list[OSError] = []

    @property
    def threaded(self) -> bool:
        return self._threads is not None

    def add(self, path: str, content: bytes) -> None:
        """Create `path` (which must not exist) with `content`, now or soon."""
        if self._failures:
            raise self._failures[0]
        self._batch.append((path, content))
        if len(self._batch) >= BATCH:
            self._flush()

    def finish(self) -> None:
        """Every file added is written, or the first error is raised."""
        self._flush()
        self.close()
        if self._failures:
            raise self._failures[0]

    def close(self) -> None:
        """Wait for the threads (before the files' folder is removed, say)."""
        if self._threads is not None:
            self._threads.shutdown(wait=True)

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        if self._threads is None:
            start = time.perf_counter()
            for path, content in batch:
                write_new(path, content)
            if time.perf_counter() - start > len(batch) * SLOW_FILE:
                self._threads = ThreadPoolExecutor(WRITERS, thread_name_prefix="paybill-files")
            return
        self._slots.acquire()
        try:
            self._threads.submit(self._write_all, batch)
        except BaseException:
            self._slots.release()
            raise

    def _write_all(self, batch: list[tuple[str, bytes]]) -> None:
        try:
            for path, content in batch:
                if self._failures:
                    return
                write_new(path, content)
        except OSError as exc:
            self._failures.append(exc)
        finally:
            self._slots.release()


def write_new(path: str, content: bytes) -> None:
    fd = os.open(path, _FLAGS, 0o666)  # the mode of any new file, less the umask
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
