"""Compile benchmark across clouds: a fleet with a third of its tenants on each of AWS,
Azure and GCP (the platform, pools and plans of examples/multi-cloud), compiled from scratch.

    .venv/bin/python benchmarks/compile_clouds.py [TENANTS ...]   (default: 1000 10000)

Tenants cycle over the three clouds; on each, 60% pooled, 30% bridge (in the cloud's pool)
and 10% silo (a network of their own). Prints what compile_fleet.py prints for a full
compile (stages, files, peak RSS of every process, bytes per tenant of each family), so the
two fleets compare line by line. The targets are the fleet-scale ones: 1,000 tenants
<= 8 s, 10,000 <= 60 s, generated/ <= 25 KB per tenant.

Each size runs in a fresh process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# A first compile synthesizes its modules: measured without the modules earlier compiles
# left in the user's module cache (compiler/emit/stacks/module_cache.py), unless set.
os.environ.setdefault("PAYBILL_MODULE_CACHE", "off")
sys.path.insert(0, str(REPO / "benchmarks"))

import fleet  # noqa: E402
from compile_fleet import TARGETS, Stages, _show_sizes, line, peak_rss  # noqa: E402

from compiler.pipeline import compile_spec  # noqa: E402

EXAMPLE = REPO / "examples" / "multi-cloud"
SHARED = ("platform.yaml", "plans.yaml", "schema.yaml")
# cloud -> (its pool in the example, the pool's region)
CLOUDS = {
    "aws": ("eu-aws", "eu-central-1"),
    "azure": ("eu-azure", "westeurope"),
    "gcp": ("eu-gcp", "europe-west1"),
}
# (plan, share of each cloud's tenants out of 10)
PLANS = (("starter", 6), ("business", 3), ("enterprise", 1))


def tenant_document(index: int, cloud: str, plan: str) -> str:
    pool, region = CLOUDS[cloud]
    home = f"  pool: {pool}\n"
    if plan == "enterprise":
        home = f"  cloud: {cloud}\n  network: {{cidr: {fleet.silo_network(index)}}}\n"
    return (
        f"apiVersion: paybill.dev/v1\nkind: Tenant\nmetadata:\n  name: {fleet.tenant_name(index)}\n"
        f"spec:\n  displayName: Tenant {index}\n  plan: {plan}\n  region: {region}\n"
        f"{home}  state: active\n  subscription: {{status: active}}\n"
    )


def write_fleet(root: Path, tenants: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name in SHARED:
        shutil.copy(EXAMPLE / name, root / name)
    plans = [plan for plan, share in PLANS for _ in range(share)]
    clouds = sorted(CLOUDS)
    folder = root / "tenants"
    folder.mkdir()
    for index in range(tenants):
        cloud = clouds[index % len(clouds)]
        plan = plans[(index // len(clouds)) % len(plans)]
        text = tenant_document(index, cloud, plan)
        (folder / f"{fleet.tenant_name(index)}.yaml").write_text(text)


def run(tenants: int) -> None:
    seconds_target, _ = TARGETS.get(tenants, (None, None))
    print(f"\n{tenants} tenants, a third each on {', '.join(sorted(CLOUDS))}")
    with tempfile.TemporaryDirectory(prefix="paybill-clouds-") as tmp:
        spec, out = Path(tmp) / "spec", Path(tmp) / "generated"
        write_fleet(spec, tenants)
        with peak_rss() as peak, Stages() as stages:
            start = time.perf_counter()
            result = compile_spec(spec, out)
            seconds = time.perf_counter() - start
        stacks = sum(1 for o in result.outputs if o.path.startswith("stacks/"))
        modules = sum(1 for n in result.graph.nodes() if n.startswith("module:"))
        line("stacks", f"{stacks} (of {modules} modules: one per stack shape)")
        target = f" (target <= {seconds_target:.0f} s)" if seconds_target else ""
        line("full compile", f"{seconds:.2f} s{target}")
        stages.show()
        line("files written", f"{len(result.changes)}")
        line("peak RSS, all processes", f"{peak[0]:.0f} MB")
        _show_sizes(result, tenants)


def main() -> int:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--one":
        run(int(args[1]))
        return 0
    if any(not a.isdigit() for a in args):
        print(__doc__)
        return 2
    for size in [int(a) for a in args] or [1000, 10000]:
        subprocess.run([sys.executable, __file__, "--one", str(size)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
