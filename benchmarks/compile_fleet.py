"""Compile benchmark: a full `paybill compile` of a fleet, then one tenant changed.

    .venv/bin/python benchmarks/compile_fleet.py [TENANTS ...]   (default: 1000 10000)

For each fleet size:
1. Writes a fleet spec into a temporary folder: the platform, plans, tables, tools, agents
   and workflows of spec/, plus TENANTS generated tenants (a mix of isolation models and
   lifecycle states; see MIX).
2. Compiles it from scratch into an empty output folder (`compiler.pipeline.compile_spec`,
   exactly what `paybill compile` runs) and prints the wall time, the time of each stage
   (stack synthesis among them), and the peak resident memory of this process and every
   process under it (the JavaScript runtime of cdktn, worker processes), sampled every
   20 ms.
3. Changes one tenant's API rate (an override) and compiles again into the same folder,
   printing the same, how many stacks were synthesized again and which stack files changed.

Each size runs in a fresh process.

Targets at 1,000 tenants: full compile <= 30 s, peak RSS <= 1.5 GB, the one-tenant
recompile <= 10% of the full compile and touching no other stack. `PAYBILL_JOBS` sets the
number of synthesis processes (1 compares against synthesizing in this process).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import fleet  # noqa: E402  (benchmarks/fleet.py, next to this script)

from compiler import pipeline  # noqa: E402
from compiler.emit.stacks import synth  # noqa: E402
from compiler.pipeline import compile_spec  # noqa: E402

TARGET_SECONDS = 30.0
TARGET_RSS_MB = 1536
TARGET_SHARE = 0.10

# (plan, state, subscription, share of the fleet): pooled free/starter, bridge pro,
# silo enterprise, in every lifecycle state a live tenant can be in.
MIX = (
    ("starter", "active", "active", 34),
    ("free", "active", "trialing", 18),
    ("pro", "active", "active", 24),
    ("enterprise", "active", "active", 4),
    ("pro", "active", "past_due", 4),
    ("starter", "suspended", "past_due", 6),
    ("free", "pending", "trialing", 5),
    ("pro", "offboarding", "canceled", 3),
    ("enterprise", "suspended", "past_due", 1),
    ("enterprise", "offboarding", "canceled", 1),
)
CHANGED = "t00042"


def write_fleet(root: Path, tenants: int, changed_rps: int = 25) -> None:
    def rate(index: int, plan: str) -> str:
        rps = changed_rps if fleet.tenant_name(index) == CHANGED else 25
        return f"  overrides: {{limits: {{apiRequestsPerSecond: {rps}}}}}\n"

    fleet.write_fleet(root, tenants, MIX, rate)


def _tree(root: int) -> list[int]:
    """`root` and every process under it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def peak_rss() -> Iterator[list[float]]:
    """Yields a one-element list that holds, afterwards, the peak total RSS in MB of this
    process and its descendants."""
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], sum(_rss_mb(pid) for pid in _tree(os.getpid())))
            done.wait(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


class Stages:
    """Wall time per compile stage, by wrapping the functions `compile_spec` calls."""

    WRAPPED = (
        (pipeline, "read_previous", "read previous output"),
        (pipeline, "parse_folder", "load + parse"),
        (pipeline, "resolve", "resolve"),
        (pipeline, "build_graph", "graph"),
        (pipeline, "prepare_all", "prepare: inputs and digests (all families)"),
        (synth, "build_all", "stack synthesis"),
        (pipeline, "emit_all", "emit (all families + manifest)"),
        (pipeline, "write_tree", "write (compare, stage, swap)"),
    )

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.originals: list[tuple[object, str, object]] = []

    def __enter__(self) -> Stages:
        for module, name, label in self.WRAPPED:
            original = getattr(module, name)
            self.originals.append((module, name, original))
            setattr(module, name, self._timed(label, original))
        return self

    def _timed(self, label: str, function: Callable[..., object]) -> Callable[..., object]:
        def timed(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                self.seconds[label] = self.seconds.get(label, 0.0) + elapsed

        return timed

    def __exit__(self, *exc: object) -> None:
        for module, name, original in self.originals:
            setattr(module, name, original)

    def show(self) -> None:
        for _, _, label in self.WRAPPED:
            seconds = self.seconds.get(label, 0.0)
            shown = label
            if label.startswith("emit"):  # synthesis runs inside emit; show the rest
                seconds -= self.seconds.get("stack synthesis", 0.0)
                shown = "other output families + manifest"
            line(f"  {shown}", f"{seconds:.2f} s")


def line(label: str, value: str) -> None:
    print(f"  {label:<44} {value}")


def run(tenants: int) -> None:
    targets = tenants == 1000
    print(f"\n{tenants} tenants (PAYBILL_JOBS={os.environ.get('PAYBILL_JOBS', 'auto')})")
    with tempfile.TemporaryDirectory(prefix="paybill-bench-") as tmp:
        spec, out = Path(tmp) / "spec", Path(tmp) / "generated"
        write_fleet(spec, tenants)
        with peak_rss() as peak, Stages() as full_stages:
            start = time.perf_counter()
            full = compile_spec(spec, out)
            full_seconds = time.perf_counter() - start
        stack_files = [a for a in full.artifacts if a.path.startswith("stacks/")]
        line("stacks", f"{len(stack_files)}")
        target = f" (target <= {TARGET_SECONDS:.0f} s)" if targets else ""
        line("full compile", f"{full_seconds:.2f} s{target}")
        full_stages.show()
        target = f" (target <= {TARGET_RSS_MB} MB)" if targets else ""
        line("peak RSS, all processes", f"{peak[0]:.0f} MB{target}")

        write_fleet(spec, tenants, changed_rps=26)
        with peak_rss() as peak, Stages() as again_stages:
            start = time.perf_counter()
            again = compile_spec(spec, out)
            again_seconds = time.perf_counter() - start
        changed = sorted(c.path for c in again.changes if c.path.startswith("stacks/"))
        rebuilt = len(stack_files) - sum(1 for n in again.reused if n.startswith("stack:"))
        share = again_seconds / full_seconds
        target = f" (target <= {TARGET_SHARE:.0%})" if targets else ""
        line(
            "one tenant changed, recompile", f"{again_seconds:.2f} s = {share:.1%} of full{target}"
        )
        again_stages.show()
        line("stacks synthesized again", f"{rebuilt}")
        line("stack files changed", ", ".join(changed) or "none")
        line("peak RSS, all processes", f"{peak[0]:.0f} MB")


def main() -> int:
    """Each size in a process of its own, so that no size starts with a warm runtime."""
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        run(int(sys.argv[2]))
        return 0
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    for size in sizes:
        subprocess.run([sys.executable, __file__, "--one", str(size)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
