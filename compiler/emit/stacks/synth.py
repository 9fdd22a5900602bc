"""Synthesis of shapes: each shape's module and root-stack template, through cdktn, in this
process or spread over worker processes.

cdktn runs in a JavaScript runtime behind jsii, one call at a time: about a millisecond per
resource. Stacks are not synthesized one by one (they are stamped into their shape's
template, `compiler.emit.stacks.template`), so only shapes are, a few dozen at most. Worker
processes (each with its own runtime) make that scale with the cores when there are enough
shapes to pay for their start (about a second each); each receives plain input records and
returns bytes, so the output is the same whichever way it was made.

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
from dataclasses import dataclass
from pathlib import Path

from compiler.emit.stacks.inputs import PlatformFacts
from compiler.emit.stacks.runtime import prepare_environment
from compiler.emit.stacks.template import placeholders
from compiler.emit.stacks.values import declarations
from compiler.errors import EnvironmentProblem
from compiler.resolve.shapes import Shape

JOBS_VARIABLE = "PAYBILL_JOBS"
# Below this many shapes, starting workers costs more than it saves.
PARALLEL_FROM = 16
# Shapes per worker process at most. The JavaScript runtime keeps every object it was handed
# until it exits, so many shapes are cut into several runs rather than one long one per core.
SHARE = 200
WORKER = "compiler.emit.stacks.worker"


@dataclass(frozen=True, slots=True)
class ShapeJob:
    """What one module is synthesized from: its name (where its stacks find it), its shape
    and the platform's facts."""

    module: str
    shape: Shape
    platform: PlatformFacts


@dataclass(frozen=True, slots=True)
class ShapeBuild:
    """A shape's module (`cdk.tf.json`) and its root stacks' template."""

    module: bytes
    template: bytes


def build(job: ShapeJob) -> ShapeBuild:
    """One shape's module and template."""
    from compiler.emit.stacks import drivers  # noqa: PLC0415  (starts jsii)
    from compiler.emit.stacks.root import build_root  # noqa: PLC0415

    module, interface = drivers.build_module(job.shape, job.platform)
    inputs = placeholders([d.name for d in declarations(job.shape)])
    template = build_root(job.module, job.shape, job.platform, interface, inputs)
    return ShapeBuild(module, template)


def jobs(count: int) -> int:
    """How many worker processes to use for `count` shapes (1: none)."""
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


def build_all(shapes: Sequence[ShapeJob]) -> list[ShapeBuild]:
    """Every shape's module and template, in the order given."""
    prepare_environment()  # a missing `node` is reported here, not from inside a worker
    workers = min(jobs(len(shapes)), len(shapes))
    if workers <= 1:
        return [build(job) for job in shapes]
    count = max(workers, -(-len(shapes) // SHARE))
    # Every n-th shape to the same share: names sort pools, silos and pooled shapes
    # together, so interleaving spreads the heavy ones evenly.
    shares = [list(shapes[i::count]) for i in range(count)]
    with ThreadPoolExecutor(workers) as threads:
        results = list(threads.map(_run_worker, shares))
    out: list[ShapeBuild] = [ShapeBuild(b"", b"")] * len(shapes)
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


def _run_worker(share: list[ShapeJob]) -> list[ShapeBuild]:
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
    result: list[ShapeBuild] = pickle.loads(done.stdout)
    return result
