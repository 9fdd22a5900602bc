"""Processes the sandbox owns: started detached, recorded by PID, stopped by that PID only.

A recorded PID is signalled only while its command line still names what we started, so a
PID the system has since given to another program is never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.05
# The servers this process started and has not stopped: kept so that they are reaped when
# stopped (and not reported as leaked while they are meant to outlive a function).
_children: dict[int, subprocess.Popen[Any]] = {}


def adopt(child: subprocess.Popen[Any]) -> None:
    """Keep a started server's handle until `stop` reaps it."""
    _children[child.pid] = child


def is_running(pid: int) -> bool:
    """The process exists and is not a zombie (reaping our own children on the way)."""
    if pid in _children:
        return _children[pid].poll() is None
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _state(pid) != "Z"


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[0]


def command_line(pid: int) -> str | None:
    """The process's arguments joined by spaces; None where /proc cannot tell."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


def is_ours(pid: int, marker: str) -> bool:
    """Running, and (where /proc tells) started with `marker` among its arguments."""
    if not is_running(pid):
        return False
    line = command_line(pid)
    return line is None or marker in line


def stop(pid: int, marker: str, *, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Signal the process if it is still ours and wait for it; kill it after `timeout`."""
    try:
        if not is_ours(pid, marker):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if _wait_gone(pid, timeout):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 10.0)
    finally:
        forget(pid)


def forget(pid: int) -> None:
    """Drop a stopped server's handle (after `stop`, or when it exited by itself)."""
    child = _children.pop(pid, None)
    if child is not None and child.poll() is None:
        child.wait()


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while is_running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True
