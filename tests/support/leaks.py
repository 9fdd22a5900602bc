"""Nothing the tests start outlives the run.

Tests start servers (the emulator, PostgreSQL, sandboxes) on 127.0.0.1 and must stop them.
The run marks its environment with a token that every process it starts inherits (the
pytest-xdist workers, and the servers they start detached); when the run is over (the
workers gone), a process still carrying the token was left behind by a test: it is named,
stopped by its PID, and the run fails. Other people's processes on a shared machine never
carry the token.
"""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TOKEN_VARIABLE = "PAYBILL_TEST_RUN"
# Children that stop with the process that started them, not servers: the node process of
# CDK for Terraform's jsii kernel (still there while a one-process run ends).
_STOPPED_AT_EXIT = ("jsii-runtime.js", "/lib/program.js")


def carrying(token: str, proc: Path = Path("/proc")) -> dict[int, str]:
    """{pid: command line} of the processes whose environment holds `token` (those whose
    environment cannot be read are not ours to judge)."""
    wanted = f"{TOKEN_VARIABLE}={token}".encode()
    found = {}
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if wanted in environment and not any(mark in command for mark in _STOPPED_AT_EXIT):
            found[int(entry.name)] = command.strip()
    return found


def _ancestors() -> set[int]:
    """This process and its parents (they may carry the token when pytest runs pytest)."""
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return pids


def pytest_configure(config: pytest.Config) -> None:
    if TOKEN_VARIABLE not in os.environ:  # a worker inherits its controller's
        os.environ[TOKEN_VARIABLE] = uuid.uuid4().hex
        config.stash[_OWNER] = True


_OWNER = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_sessionfinish(session: pytest.Session) -> Iterator[None]:
    yield  # after pytest-xdist has stopped its workers
    if not session.config.stash.get(_OWNER, False) or not Path("/proc").is_dir():
        return
    left = {
        pid: command
        for pid, command in carrying(os.environ[TOKEN_VARIABLE]).items()
        if pid not in _ancestors()
    }
    if not left:
        return
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    lines = "\n".join(f"  {pid}: {command}" for pid, command in sorted(left.items()))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = f"processes started by the tests were still running (now stopped):\n{lines}"
    if reporter is not None:
        reporter.write_line(message, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
