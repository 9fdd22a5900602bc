"""`terraform init`: providers from the mirror or the shared cache, the backend as written
(plus a backend settings file when given).

Terraform's plugin cache is not safe for concurrent writers, so inits that use it take a
file lock on the cache folder one at a time (inits from a mirror run in parallel).

A copy initialised before with exactly the same inputs is not initialised again
(`compiler.terraform.init_stamp`); any change to them, or no stamp, and init runs.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from compiler.terraform import init_stamp, step
from compiler.terraform.executor import Executor
from compiler.terraform.workspace import WorkingCopy


def init(
    executor: Executor,
    copy: WorkingCopy,
    *,
    backend_config: Path | None = None,
    lock_timeout: float = 60,
    timeout: float | None = None,
) -> None:
    args = ["-input=false", *step.lock_args(lock_timeout)]
    if backend_config is not None:
        # Settings merged into the stack's own backend block; -reconfigure so that a copy
        # initialised before with other settings takes these without migrating state.
        args += [f"-backend-config={backend_config.resolve()}", "-reconfigure"]
    inputs = init_stamp.digest(copy.path, backend_config)
    if init_stamp.is_current(copy.path, inputs):
        return
    init_stamp.forget(copy.path)
    with _cache_lock(copy.plugin_cache):
        step.run(executor, copy, "init", args, timeout=timeout)
    # Read again: init writes the provider lock file when the stack brings none.
    init_stamp.remember(copy.path, init_stamp.digest(copy.path, backend_config))


@contextlib.contextmanager
def _cache_lock(cache: Path | None) -> Iterator[None]:
    if cache is None:
        yield
        return
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".paybill-init.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
