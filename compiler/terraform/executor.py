"""The one place that starts terraform: a small interface, so tests can swap the binary.

`Executor.run` takes terraform's arguments (without the binary), the folder and the
environment, and returns what terraform printed and its exit code; it never raises for a
non-zero exit (steps decide what an exit code means). `Subprocess` is the real one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from compiler.terraform.errors import TerraformMissing

BINARY_VARIABLE = "PAYBILL_TERRAFORM"
# After a time limit, terraform gets SIGINT (it stops cleanly and releases its lock) and this
# long to exit before it is killed.
GRACE_SECONDS = 30.0


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

    @classmethod
    def found(cls) -> Subprocess:
        return cls(find_terraform())

    def run(
        self, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float | None
    ) -> Completed:
        try:
            process = subprocess.Popen(
                [self.binary, *args],
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        except FileNotFoundError as missing:
            raise TerraformMissing(self.binary) from missing
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
