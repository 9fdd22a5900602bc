"""SQL output benchmark: the 'sql' family of a fleet, alone (no stacks, nothing written).

    .venv/bin/python benchmarks/sql_output.py [TENANTS ...]   (default: 1000)

For each size, writes the fleet of `compile_fleet.py` (the same mix of plans, isolation
models and lifecycle states), resolves it, builds its graph, then times the family's two
calls the pipeline makes: `prepare` (the desired states and the input digests) and `build`
(the lints and every file, nothing reused). Prints the files and the bytes of what goes
under `generated/sql/`, per tenant of the fleet and by part: the runtime every target
shares, the targets' own files, the tenants' files.

Target: `generated/sql` well under 10 KB per tenant (all of `generated/` <= 25 KB).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from compile_fleet import write_fleet  # noqa: E402

from compiler.emit.sql import FAMILY  # noqa: E402
from compiler.graph import build_graph  # noqa: E402
from compiler.pipeline import validate  # noqa: E402

TARGET_BYTES_PER_TENANT = 10 * 1024


def line(label: str, value: str) -> None:
    print(f"  {label:<44} {value}")


def run(tenants: int) -> None:
    print(f"\n{tenants} tenants")
    with tempfile.TemporaryDirectory(prefix="paybill-sql-") as tmp:
        spec_dir = Path(tmp) / "spec"
        write_fleet(spec_dir, tenants)
        spec = validate(spec_dir)
    graph = build_graph(spec)
    start = time.perf_counter()
    prepared = FAMILY.prepare(spec, graph)
    built = time.perf_counter()
    outputs = prepared.build({})
    done = time.perf_counter()
    line("sql targets", f"{len(graph.nodes('sql'))}")
    line("prepare (states, digests)", f"{built - start:.2f} s")
    line("build (lints, render)", f"{done - built:.2f} s")
    sizes: dict[str, list[int]] = defaultdict(list)
    for output in outputs:
        part = output.node.partition(":")[0]
        suffix = output.path.rpartition(".")[2]
        sizes[f"{part} .{suffix}"].append(output.size)
    total = sum(o.size for o in outputs)
    for part, found in sorted(sizes.items()):
        line(
            f"{part} files",
            f"{len(found)} files, {sum(found) / 1024:.0f} KB, {sum(found) / tenants:.0f} B/tenant",
        )
    line("files", f"{len(outputs)}")
    per_tenant = total / tenants
    target = f" (target < {TARGET_BYTES_PER_TENANT / 1024:.0f} KB)"
    line("bytes of generated/sql per tenant", f"{per_tenant / 1024:.1f} KB{target}")


def main() -> int:
    for size in [int(a) for a in sys.argv[1:]] or [1000]:
        run(size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
