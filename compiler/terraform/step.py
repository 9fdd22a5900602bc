"""Running one terraform step in a working copy: the command line every step shares, and
the mapping of a failure (or a timeout) to a typed error with terraform's message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from compiler.terraform.errors import TimedOut, classify
from compiler.terraform.executor import Completed, Executor
from compiler.terraform.workspace import WorkingCopy


def run(
    executor: Executor,
    copy: WorkingCopy,
    step: str,
    args: Sequence[str],
    *,
    ok: Sequence[int] = (0,),
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Completed:
    """`terraform <step> -no-color <args>` in the copy, with `env` added to the copy's
    environment; exit codes outside `ok` raise."""
    environment = {**copy.env, **(env or {})}
    done = executor.run([step, "-no-color", *args], copy.path, environment, timeout)
    if done.timed_out:
        raise TimedOut(
            copy.stack, step, done.exit_code, f"interrupted after {timeout:.0f} s\n{done.stderr}"
        )
    if done.exit_code not in ok:
        raise classify(copy.stack, step, done.exit_code, done.stderr, done.stdout)
    return done


def lock_args(lock_timeout: float) -> list[str]:
    """Wait this long for the state lock (`-lock-timeout`), in whole seconds."""
    return [f"-lock-timeout={max(0, round(lock_timeout))}s"]
