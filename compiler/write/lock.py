"""One writer at a time: an exclusive lock on the output folder itself.

`flock` on the folder's own descriptor needs no lock file, is released by the kernel when
the process ends however it ends (a killed compile never leaves a stale lock), and guards
the folder, not a path: the writer never replaces the folder, so the lock always covers
what is written. A second compile waits up to its timeout, then gives up with a message
(exit 3) rather than writing beside the first.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from compiler.errors import EnvironmentProblem

DEFAULT_TIMEOUT_SECONDS = 60.0
TIMEOUT_VARIABLE = "PAYBILL_LOCK_TIMEOUT"
_POLL_SECONDS = 0.05


def timeout_from_environment() -> float:
    """`PAYBILL_LOCK_TIMEOUT` in seconds, else the default."""
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses NaN
        raise EnvironmentProblem(
            f"{TIMEOUT_VARIABLE}={text!r} is not a number of seconds; set it to 0 or more"
        )
    return value


@contextlib.contextmanager
def locked(folder: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (which must exist) for the block."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot open the output folder '{folder}' to lock it ({exc.strerror}); check "
            "that it is a folder you may read"
        ) from None
    try:
        _acquire(fd, folder, timeout)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(fd: int, folder: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise EnvironmentProblem(
                    f"cannot lock the output folder '{folder}' ({exc.strerror})"
                ) from None
        if time.monotonic() >= deadline:
            raise EnvironmentProblem(
                f"another paybill compile is writing into '{folder}' and did not finish "
                f"within {timeout:g} s; wait for it and run again, or raise the wait with "
                f"{TIMEOUT_VARIABLE}=SECONDS"
            )
        time.sleep(_POLL_SECONDS)
