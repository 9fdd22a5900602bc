"""Synthesis of many stacks: in this process, or spread over worker processes.

cdktn runs in a JavaScript runtime behind jsii, one call at a time: about a millisecond per
resource, which is most of a large compile. Worker processes (each with its own runtime) make
that scale with the cores. They are used only when there are enough stacks to pay for their
start (about a second each); each receives plain input records and returns bytes, so the
output is the same whichever way it was made.

Workers are plain subprocesses (`python -O -P -m compiler.emit.stacks.worker`), not
`multiprocessing`: that would re-run the caller's main script in every worker, and `-O` skips
the jsii bindings' per-argument type checks, a quarter of their cost (the builders never
rely on `assert`).

`PAYBILL_JOBS` sets the number of worker processes (1: synthesize in this process); by
default, one per available core.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from compiler.emit.stacks.inputs import PoolStack, StackInputs
from compiler.emit.stacks.runtime import prepare_environment
from compiler.errors import EnvironmentProblem

JOBS_VARIABLE = "PAYBILL_JOBS"
# Below this many stacks, starting workers costs more than it saves.
PARALLEL_FROM = 64
# Stacks per worker process at most. The JavaScript runtime keeps every object it was handed
# until it exits (~90 MB per 1,000 stacks on top of ~250 MB), so a large fleet is cut into
# several runs rather than one long one per core.
SHARE = 1000
WORKER = "compiler.emit.stacks.worker"


def build(inputs: StackInputs) -> bytes:
    """One stack's `cdk.tf.json`."""
    from compiler.emit.stacks.pool import build_pool  # noqa: PLC0415  (starts jsii)
    from compiler.emit.stacks.tenant import build_tenant  # noqa: PLC0415

    if isinstance(inputs, PoolStack):
        return build_pool(inputs)
    return build_tenant(inputs)


def jobs(count: int) -> int:
    """How many worker processes to use for `count` stacks (1: none)."""
    wanted = os.environ.get(JOBS_VARIABLE, "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise EnvironmentProblem(
                f"{JOBS_VARIABLE}={wanted!r} is not a number of processes; "
                f"set it to 1 or more, or unset it to use every core"
            )
        return int(wanted)
    if count < PARALLEL_FROM:
        return 1
    return max(1, len(os.sched_getaffinity(0)))


def build_all(stacks: Sequence[StackInputs]) -> list[bytes]:
    """Every stack's bytes, in the order given."""
    prepare_environment()  # a missing `node` is reported here, not from inside a worker
    workers = min(jobs(len(stacks)), len(stacks))
    if workers <= 1:
        return [build(inputs) for inputs in stacks]
    count = max(workers, -(-len(stacks) // SHARE))
    # Every n-th stack to the same share: names sort pools, silos and pooled tenants
    # together, so interleaving spreads the heavy stacks evenly.
    shares = [list(stacks[i::count]) for i in range(count)]
    with ThreadPoolExecutor(workers) as threads:
        results = list(threads.map(_run_worker, shares))
    out: list[bytes] = [b""] * len(stacks)
    for index, result in enumerate(results):
        out[index::count] = result
    return out


def worker_command() -> tuple[list[str], dict[str, str]]:
    """The worker's command line and environment.

    `-P` keeps the current folder off `sys.path` (plain `-m` would put it first, so a
    `concurrent.py` in the folder `paybill compile` runs in would be imported). For the same
    reason only absolute `PYTHONPATH` entries are passed on: an empty or relative entry means
    the current folder again. The package's own folder comes first, so the worker imports
    this compiler, whatever is installed.
    """
    root = str(Path(__file__).resolve().parents[3])
    inherited = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    path = [root, *(entry for entry in inherited if os.path.isabs(entry) and entry != root)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    return [sys.executable, "-O", "-P", "-m", WORKER], env


def _run_worker(share: list[StackInputs]) -> list[bytes]:
    command, env = worker_command()
    done = subprocess.run(
        command,
        input=pickle.dumps(share),
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"stack synthesis worker failed (exit {done.returncode}):\n"
            + done.stderr.decode(errors="replace")
        )
    result: list[bytes] = pickle.loads(done.stdout)
    return result
