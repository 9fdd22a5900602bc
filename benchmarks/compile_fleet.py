"""Compile benchmark: a full `paybill compile` of a fleet, then one tenant changed, written
and checked.

    .venv/bin/python benchmarks/compile_fleet.py [TENANTS ...]   (default: 1000 10000)
    .venv/bin/python benchmarks/compile_fleet.py --keep DIR TENANTS  (leaves the fleet's
        spec/ and generated/ in DIR/<TENANTS>, for profiling or the change-set benchmark)

For each fleet size:
1. Writes a fleet spec into a temporary folder: the platform, plans, tables, tools, agents
   and workflows of spec/, plus TENANTS generated tenants (a mix of isolation models and
   lifecycle states; see MIX).
2. Compiles it from scratch into an empty output folder (`compiler.pipeline.compile_spec`,
   exactly what `paybill compile` runs) and prints the wall time, the time of each stage
   (stack synthesis among them), the files written, and the peak resident memory of this
   process and every process under it (the JavaScript runtime of cdktn, worker processes),
   sampled every 20 ms, and the files and bytes per tenant of each output family
   (`stacks/`, `modules/`, `sql/`, `acl/`, `nodes/`); the compile's system time and what
   creating 1,000 files costs on that disk right after. Its modules are synthesized: the
   module cache is one of its own, empty. Up to 10,000 tenants, a second full compile into
   a new folder reads the modules from that cache, as a fresh clone would where a compile
   ran before.
3. Changes one tenant's API rate (an override) and runs `compile --check` (which must find
   that tenant's files, and only those), then compiles again into the same folder (a
   narrowed compile: only that tenant's file changed); prints the same for both, how many
   stacks were synthesized again and which files changed.
4. Changes the tenant back and compiles with `incremental=False`: what a recompile costs
   when the cache's snapshot cannot be used (a fresh clone, a pull, a changed plan).

Tenants are written one file each (`tenants/<name>.yaml`, as in spec/): a narrowed compile
compiles again every tenant of a changed file.

Each size runs in a fresh process.

Targets: full compile <= 8 s at 1,000 tenants, <= 60 s at 10,000, <= 12 min and peak RSS
<= 4 GB at 100,000; the one-tenant recompile at most 3% of the full compile (and <= 1 s at
10,000 tenants); the one-tenant `--check` at most 10% of the full compile. `PAYBILL_JOBS`
sets the number of synthesis processes (1 compares against synthesizing in this process).
"""

from __future__ import annotations

import os
import resource
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
# A first compile synthesizes its modules: measured with a module cache of its own, empty
# at first (compiler/emit/stacks/module_cache.py), not the user's; then a second full
# compile into a new folder reads them there, as a fresh clone on the same machine would.
CACHE_VARIABLE = "PAYBILL_MODULE_CACHE"
AGAIN_UP_TO = 10000  # the second full compile, into a new folder, at these sizes only

import fleet  # noqa: E402  (benchmarks/fleet.py, next to this script)

from compiler import pipeline, scope  # noqa: E402
from compiler.emit import families  # noqa: E402
from compiler.emit.stacks import synth, template  # noqa: E402
from compiler.pipeline import Compiled, compile_spec  # noqa: E402
from compiler.write import previous, tree  # noqa: E402
from compiler.write.cache import Cache  # noqa: E402

# Tenants -> (full compile in seconds, peak RSS in MB); and the one-tenant recompile.
TARGETS = {1000: (8.0, None), 10000: (60.0, None), 100000: (720.0, 4096)}
TARGET_SHARE = 0.03
TARGET_RECOMPILE_SECONDS_AT_10000 = 1.0
TARGET_CHECK_SHARE = 0.10
TARGET_BYTES_PER_TENANT = 25 * 1024
FAMILIES = ("stacks", "modules", "sql", "acl", "nodes")
KERNEL = "of all of it, system time (the kernel)"
PROBE_FILES = 10000

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

    fleet.write_fleet(root, tenants, MIX, rate, per_tenant=True)


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

    # Whole and narrowed compiles run the same stages (`compiler.pipeline`); a narrowed one
    # first scans the spec files and the output's stats (`compiler.scope`). The writer takes
    # each file as it is built (inside emit), and commits them all at the end.
    WRAPPED = (
        (Cache, "load", "read the cache"),
        (scope, "scan_spec", "scan spec files (stat; read when changed)"),
        (scope, "all_unchanged", "stat every output file"),
        (pipeline, "read_previous", "read previous output (records)"),
        (scope.Scope, "load", "load + parse"),
        (pipeline, "parse", "load + parse"),
        (pipeline, "resolve", "resolve"),
        (pipeline, "build_graph", "graph"),
        (families, "prepare_all", "prepare: inputs and digests (all families)"),
        (previous.Previous, "reusable", "verify reused files (stat or hash)"),
        (synth, "build_all", "stack synthesis (cdktn: modules, templates)"),
        (template.Template, "stamp", "stack stamping (roots from templates)"),
        (families, "emit_all", "emit (all families + records)"),
        (tree.Writer, "take", "write: compare and stage each file"),
        (tree.Writer, "finish", "write: commit (move into place, remove)"),
        (Cache, "save", "save the cache"),
    )
    SKIPPED_WHEN_ZERO = ("scan spec files", "stat every output file")
    # Not a stage: the part of the wall time the kernel spent (file creation, mostly).

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.originals: list[tuple[object, str, object]] = []

    def __enter__(self) -> Stages:
        for owner, name, label in self.WRAPPED:
            raw = vars(owner)[name]  # as the owner holds it: a classmethod stays one
            self.originals.append((owner, name, raw))
            timed = self._timed(label, getattr(owner, name))
            setattr(owner, name, staticmethod(timed) if isinstance(raw, classmethod) else timed)
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
        for owner, name, original in reversed(self.originals):
            setattr(owner, name, original)

    def show(self) -> None:
        labels = dict.fromkeys(label for _, _, label in self.WRAPPED)
        for label in labels:
            seconds = self.seconds.get(label, 0.0)
            if label.startswith(self.SKIPPED_WHEN_ZERO) and label not in self.seconds:
                continue
            shown = label
            if label.startswith("emit"):  # synthesis and staging run inside emit
                seconds -= self.seconds.get("stack synthesis (cdktn: modules, templates)", 0.0)
                seconds -= self.seconds.get("stack stamping (roots from templates)", 0.0)
                seconds -= self.seconds.get("write: compare and stage each file", 0.0)
                shown = "other output families + records"
            line(f"  {shown}", f"{seconds:.2f} s")
        if KERNEL in self.seconds:
            line(f"  {KERNEL}", f"{self.seconds[KERNEL]:.2f} s")


def line(label: str, value: str) -> None:
    print(f"  {label:<44} {value}")


def timed(
    spec: Path, out: Path, *, check: bool = False, incremental: bool = True
) -> tuple[Compiled, float, float, Stages]:
    with peak_rss() as peak, Stages() as stages:
        start = time.perf_counter()
        kernel = _kernel_seconds()
        result = compile_spec(spec, out, check=check, incremental=incremental)
        seconds = time.perf_counter() - start
        stages.seconds[KERNEL] = _kernel_seconds() - kernel
    return result, seconds, peak[0], stages


def _kernel_seconds() -> float:
    """System CPU time of this process and of the processes it waited for."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_stime + children.ru_stime


def file_creation(folder: Path, count: int = PROBE_FILES) -> float:
    """Seconds to create `count` small files in a new folder of `folder`: what the file
    system charges for the files a compile writes, apart from the compiler. (Left in place:
    on ext4 without a journal, deleting many files makes the next creations scan the freed
    inodes, which would slow whatever is measured next.)"""
    probe = folder / "file-creation-probe"
    probe.mkdir()
    start = time.perf_counter()
    for index in range(count):
        if index % 10 == 0:
            (probe / str(index // 10)).mkdir()
        (probe / str(index // 10) / f"{index}.json").write_bytes(b"{}\n" * 512)
    return time.perf_counter() - start


def run(tenants: int, keep: Path | None = None) -> None:
    seconds_target, rss_target = TARGETS.get(tenants, (None, None))
    print(f"\n{tenants} tenants (PAYBILL_JOBS={os.environ.get('PAYBILL_JOBS', 'auto')})")
    with _folder(keep, tenants) as tmp:
        spec, out = Path(tmp) / "spec", Path(tmp) / "generated"
        write_fleet(spec, tenants)
        os.environ[CACHE_VARIABLE] = str(Path(tmp) / "module-cache")  # empty: a first compile
        full, full_seconds, peak, stages = timed(spec, out)
        stacks = sum(1 for o in full.outputs if o.path.startswith("stacks/"))
        modules = sum(1 for n in full.graph.nodes() if n.startswith("module:"))
        line("stacks", f"{stacks} (of {modules} modules: one per stack shape)")
        target = f" (target <= {seconds_target:.0f} s)" if seconds_target else ""
        line("full compile", f"{full_seconds:.2f} s{target}")
        stages.show()
        line("files written", f"{len(full.changes)}")
        probe = file_creation(Path(tmp))
        line(
            "file system: 1,000 new small files",
            f"{probe / PROBE_FILES * 1000 * 1000:.0f} ms, measured after the compile "
            "(TMPDIR=/dev/shm measures the compiler apart from the disk)",
        )
        target = f" (target <= {rss_target} MB)" if rss_target else ""
        line("peak RSS, all processes", f"{peak:.0f} MB{target}")
        _show_sizes(full, tenants)
        del full  # the phases below measure their own compile, not this one's result too

        if tenants <= AGAIN_UP_TO:
            fresh, fresh_seconds, peak, stages = timed(spec, Path(tmp) / "generated-again")
            line(
                "full compile into a new folder, modules cached",
                f"{fresh_seconds:.2f} s (a fresh clone where a compile ran before)",
            )
            stages.show()
            del fresh

        write_fleet(spec, tenants, changed_rps=26)
        check, check_seconds, peak, stages = timed(spec, out, check=True)
        share = check_seconds / full_seconds
        line(
            "one tenant changed, compile --check",
            f"{check_seconds:.2f} s = {share:.1%} of full (target <= {TARGET_CHECK_SHARE:.0%})",
        )
        stages.show()
        line("files found different", ", ".join(c.path for c in check.changes) or "none")
        line("peak RSS, all processes", f"{peak:.0f} MB")
        del check  # each phase's peak RSS is its own compile's, not the results before it

        again, again_seconds, peak, stages = timed(spec, out)
        share = again_seconds / full_seconds
        target = f"target <= {TARGET_SHARE:.0%}"
        if tenants >= 10000:
            target += f" and <= {TARGET_RECOMPILE_SECONDS_AT_10000:.0f} s"
        line(
            "one tenant changed, recompile",
            f"{again_seconds:.2f} s = {share:.1%} of full ({target})",
        )
        _show_recompile(again, stages, peak)
        del again

        write_fleet(spec, tenants)  # the tenant as it was
        whole, whole_seconds, peak, stages = timed(spec, out, incremental=False)
        line(
            "the same, compiling everything",
            f"{whole_seconds:.2f} s = {whole_seconds / full_seconds:.1%} of full "
            "(no snapshot: a new clone, a pull, a changed shared document)",
        )
        _show_recompile(whole, stages, peak)


def _show_sizes(result: Compiled, tenants: int) -> None:
    """Files and bytes per tenant of each output family, and of the whole output."""
    files: dict[str, int] = dict.fromkeys(FAMILIES, 0)
    sizes: dict[str, int] = dict.fromkeys(FAMILIES, 0)
    total = 0
    for output in result.outputs:
        family = output.path.partition("/")[0]
        total += output.size
        if family in sizes:
            files[family] += 1
            sizes[family] += output.size
    for family in FAMILIES:
        line(
            f"  {family}/",
            f"{files[family]} files, {sizes[family] / tenants / 1024:.2f} KB per tenant",
        )
    line(
        "generated/ per tenant",
        f"{total / tenants / 1024:.1f} KB (target <= {TARGET_BYTES_PER_TENANT // 1024} KB), "
        f"{len(result.outputs)} files",
    )


def _show_recompile(result: Compiled, stages: Stages, peak: float) -> None:
    stages.show()
    if result.incremental is not None:
        line("tenants compiled (narrowed)", ", ".join(result.incremental) or "none")
    stacks = [n for n in result.graph.nodes() if n.startswith("stack:")]
    line("stacks synthesized again", f"{sum(n not in result.reused for n in stacks)}")
    line("files written", ", ".join(c.path for c in result.changes) or "none")
    line("peak RSS, all processes", f"{peak:.0f} MB")


@contextmanager
def _folder(keep: Path | None, tenants: int) -> Iterator[str]:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="paybill-bench-") as tmp:
            yield tmp
        return
    folder = keep / str(tenants)
    if folder.exists():
        raise SystemExit(f"--keep: {folder} exists already; give an empty folder")
    folder.mkdir(parents=True)
    yield str(folder)


def main() -> int:
    """Each size in a process of its own, so that no size starts with a warm runtime."""
    args = sys.argv[1:]
    keep: list[str] = []
    if len(args) >= 2 and args[0] == "--keep":
        keep, args = ["--keep", args[1]], args[2:]
    if len(args) == 2 and args[0] == "--one":
        run(int(args[1]), Path(keep[1]) if keep else None)
        return 0
    if any(not a.isdigit() for a in args):
        print(__doc__)
        return 2
    sizes = [int(a) for a in args] or [1000, 10000]
    for size in sizes:
        subprocess.run([sys.executable, __file__, *keep, "--one", str(size)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
