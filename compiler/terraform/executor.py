"""The one place that starts terraform: a small interface, so tests can swap the binary.

`Executor.run` takes terraform's arguments (without the binary), the folder and the
environment, and returns what terraform printed and its exit code; it never raises for a
non-zero exit (steps decide what an exit code means). `Subprocess` is the real one.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from compiler.terraform.errors import TerraformMissing

BINARY_VARIABLE = "PAYBILL_TERRAFORM"
# After a time limit, terraform gets SIGINT (it stops cleanly and releases its lock) and this
# long to exit before it is killed.
GRACE_SECONDS = 30.0
# The niceness of terraform run in the background (see `Subprocess.in_background`): the
# scheduler then gives the other terraform processes about ten times its share of the CPU.
BACKGROUND_NICENESS = 10
# Terraform and its providers are Go programs: unless the caller sets GOGC, their garbage
# collector runs at 400 (Go's default is 100), which takes about a quarter less CPU for a
# quarter more memory (the AWS provider's plans: 390 MB instead of 320 MB at most).
GO_GC = "400"


@dataclass(frozen=True)
class Completed:
    """One finished terraform command; `timed_out` when it was interrupted at the limit."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False


class Executor(Protocol):
    def run(
        self, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float | None
    ) -> Completed: ...


def find_terraform() -> str:
    """PAYBILL_TERRAFORM when set, else `terraform` on PATH."""
    named = os.environ.get(BINARY_VARIABLE)
    if named:
        found = shutil.which(named)
        if found is None:
            raise TerraformMissing(f"{BINARY_VARIABLE}={named}")
        return found
    found = shutil.which("terraform")
    if found is None:
        raise TerraformMissing("'terraform' on PATH")
    return found


@dataclass(frozen=True)
class Subprocess:
    """Runs the real binary, in its own process group so a time limit stops its plugins too."""

    binary: str
    niceness: int = 0  # added to this process's for terraform and the providers it starts

    @classmethod
    def found(cls) -> Subprocess:
        return cls(find_terraform())

    def in_background(self) -> Subprocess:
        """The same, at a lower CPU priority: for commands whose end nothing waits on first."""
        return replace(self, niceness=BACKGROUND_NICENESS)

    def run(
        self, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float | None
    ) -> Completed:
        try:
            process = subprocess.Popen(
                [self.binary, *args],
                cwd=cwd,
                env={"GOGC": GO_GC, **env},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        except FileNotFoundError as missing:
            raise TerraformMissing(self.binary) from missing
        if self.niceness:
            _lower_priority(process.pid, self.niceness)
        timed_out = False
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            stdout, stderr = _interrupt(process)
        except BaseException:
            # Our own interruption (Ctrl-C, a failing sibling job): terraform is in its own
            # session and would not hear it, so stop it before going on.
            _interrupt(process)
            raise
        return Completed(tuple(args), process.returncode, stdout, stderr, timed_out)


def _lower_priority(pid: int, niceness: int) -> None:
    """`niceness` more than this process's, never above the weakest priority (19). Done
    right after the exec, before terraform starts its providers, which inherit it.

    Terraform runs in a session of its own, and where the kernel schedules by session
    (Linux's autogroups, `/proc/sys/kernel/sched_autogroup_enabled`) a process's own
    niceness only ranks it within its session: the session's niceness is set too."""
    with contextlib.suppress(OSError):
        own = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, own + niceness))
    group = session_niceness(Path("/proc/self/autogroup"))
    if group is not None:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/autogroup").write_text(f"{min(19, group + niceness)}\n")


def session_niceness(autogroup: Path) -> int | None:
    """The niceness a process's session is scheduled with (`/autogroup-42 nice 0`), or None
    where the kernel does not group by session or does not say (the file missing, empty or
    unreadable, as in some sandboxed kernels)."""
    try:
        found = re.fullmatch(r"/autogroup-\d+ nice (-?\d+)\s*", autogroup.read_text())
    except OSError:
        return None
    return int(found.group(1)) if found else None


def _interrupt(process: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGINT (terraform stops cleanly and releases its lock), then end what it left in its
    process group: plugins and provisioner commands do not always stop with it."""
    process.send_signal(signal.SIGINT)
    try:
        output = process.communicate(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        return process.communicate()
    _kill_group(process.pid)
    return output


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
