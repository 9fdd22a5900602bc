"""Terraform on the local AWS emulator: apply time per stack kind, then plan (refresh) time
for N stacks with 1, 2 and 4 jobs.

    .venv/bin/python benchmarks/emulator_apply.py [N] [--kind pooled] [--apply-jobs 4]

1. Starts the emulator (as the tests do) and applies one stack of each kind from this
   repository's generated/ (pool, silo, pooled, bridge) through `compiler.terraform`, each
   as soon as its pool is there, `--apply-jobs` at a time; prints init, plan, apply and
   second-plan seconds per kind.
2. Makes N working copies of the applied `--kind` stack (its state copied, the pool beside
   them), then plans all N (a plan refreshes every resource first: this is also what drift
   costs) with jobs 1, 2 and 4, printing the wall time and the time per stack.

Numbers only: the provider's own waits (about 80 s per database instance) dominate applies;
plans are bound by the provider's start-up and the machine's cores. Nothing is left
running: the emulator is stopped by its PID at the end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compiler.sandbox.emulator import start_emulator  # noqa: E402
from compiler.terraform import Terraform, WorkingCopy, Workspace  # noqa: E402
from tests.support.emulator_stacks import (  # noqa: E402
    GENERATED,
    KINDS,
    VARIABLES,
    deploy_all,
)

STEPS = ("init", "plan", "apply", "second plan")


def clone(workspace: Workspace, stack: str, override: Path, count: int) -> list[WorkingCopy]:
    """`count` working copies of an applied stack, each with its own copy of the state."""
    source = GENERATED / "stacks" / stack
    state = workspace.copy(stack).state_file
    copies = []
    for index in range(count):
        copy = workspace.checkout(f"{stack}--{index}", source, override)
        shutil.copyfile(state, copy.state_file)
        copies.append(copy)
    return copies


def plan_all(tf: Terraform, copies: list[WorkingCopy], jobs: int) -> float:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        plans = list(pool.map(lambda c: tf.plan(c, variables=VARIABLES), copies))
    elapsed = time.monotonic() - started
    changed = [p.stack for p in plans if p.changed]
    if changed:
        print(f"  (unexpected changes in {', '.join(changed)})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=4, help="stacks to plan (default 4)")
    parser.add_argument("--kind", choices=sorted(KINDS), default="pooled")
    parser.add_argument("--apply-jobs", type=int, default=4)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="paybill-emulator-bench-"))
    emulator = start_emulator(root / "emulator")
    try:
        override = emulator.write_override(root / "emulator.tf.json")
        tf = Terraform(timeout=900)
        workspace = Workspace(root / "work")
        started = time.monotonic()
        outcomes = deploy_all(tf, workspace, KINDS.values(), override, jobs=args.apply_jobs)
        total = time.monotonic() - started
        print(f"apply on the emulator, {args.apply_jobs} jobs (seconds)")
        print(f"  {'kind':8} {'stack':16} " + " ".join(f"{s:>11}" for s in STEPS))
        for kind, stack in KINDS.items():
            outcome = outcomes[stack]
            if outcome.error:
                print(f"  {kind:8} {stack:16} failed: {outcome.error.splitlines()[0]}")
                continue
            cells = " ".join(f"{outcome.seconds.get(s, 0.0):11.1f}" for s in STEPS)
            print(f"  {kind:8} {stack:16} {cells}")
        print(f"  all four, waiting for the pool as needed: {total:.1f} s wall")

        stack = KINDS[args.kind]
        if outcomes[stack].error:
            raise SystemExit(f"{stack} did not apply; no plan timings")
        copies = clone(workspace, stack, override, args.n)
        for copy in copies:
            tf.init(copy)
        print(f"plan (refresh) of {args.n} copies of {stack} ({args.kind})")
        for jobs in (1, 2, 4):
            elapsed = plan_all(tf, copies, jobs)
            print(f"  jobs {jobs}: {elapsed:6.1f} s wall, {elapsed / args.n:5.1f} s per stack")
    finally:
        emulator.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
