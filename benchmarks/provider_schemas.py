"""Provider-schema benchmark: what loading each cloud's schema and validating a stack cost.

    .venv/bin/python benchmarks/provider_schemas.py [ROUNDS]   (default 20)

1. For each cloud, in a fresh process (as `paybill compile` meets it): the time to load its
   committed schema, which happens once per process and only for a cloud whose documents
   are validated.
2. The time to validate each stack under generated/stacks (the repository's spec, AWS),
   ROUNDS times, reported per stack and per resource: the median wall time of the rounds,
   and the least CPU time of a round (the steadier figure on a shared machine).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compiler.providers import PROVIDERS, validate  # noqa: E402

LOAD = (
    "import time; from compiler.providers import load_schema; t = time.perf_counter(); "
    "load_schema({cloud!r}); print(time.perf_counter() - t)"
)


def load_seconds(cloud: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", LOAD.format(cloud=cloud)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for cloud in PROVIDERS:
        times = [load_seconds(cloud) for _ in range(3)]
        print(f"load {cloud:5}: {1000 * statistics.median(times):7.1f} ms (median of 3 processes)")
    stacks = sorted((REPO / "generated" / "stacks").glob("*/cdk.tf.json"))
    documents = [json.loads(p.read_bytes()) for p in stacks]
    resources = sum(len(v) for d in documents for v in d.get("resource", {}).values())
    validate(documents[0], "warm-up", "aws")
    wall, cpu = [], []
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        for document in documents:
            assert validate(document, "stack", "aws") == []
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    for label, seconds in (("median wall", statistics.median(wall)), ("least CPU", min(cpu))):
        print(
            f"validate ({label} of {rounds} rounds): {len(documents)} stacks, {resources} "
            f"resources: {1000 * seconds / len(documents):.2f} ms per stack, "
            f"{1e6 * seconds / resources:.0f} us per resource"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
