"""A fleet spec for the benchmarks: the platform, plans, schema, tools, agents and workflows
of spec/, and as many generated tenants as asked for, in one file or in one file each."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = ("platform.yaml", "plans", "schema", "tools", "agents", "workflows")
POOLS = {"eu-central-1": "eu-shared", "us-east-1": "us-shared"}

# (plan, state, subscription, share of the fleet)
Mix = Sequence[tuple[str, str, str, int]]
# index, plan -> extra YAML lines under `spec:` (e.g. overrides), or ""
Extra = Callable[[int, str], str]


def tenant_name(index: int) -> str:
    return f"t{index:05d}"


def silo_network(index: int) -> str:
    """A network of its own for each silo tenant (silo networks may not overlap)."""
    return f"10.{128 + index // 256}.{index % 256}.0/24"


def tenant_document(
    index: int, plan: str, state: str, status: str, region: str, extra: str = ""
) -> str:
    pool = f"  pool: {POOLS[region]}\n"
    if plan == "enterprise":
        pool = f"  network: {{cidr: {silo_network(index)}}}\n"
    return (
        f"apiVersion: paybill.dev/v1\nkind: Tenant\nmetadata:\n  name: {tenant_name(index)}\n"
        f"spec:\n  displayName: Tenant {index}\n  plan: {plan}\n  region: {region}\n"
        f"{pool}  state: {state}\n  subscription: {{status: {status}}}\n{extra}"
    )


def write_fleet(
    root: Path,
    tenants: int,
    mix: Mix,
    extra: Extra = lambda i, p: "",
    *,
    per_tenant: bool = False,
) -> None:
    """Write (or rewrite) the fleet into `root`; the same arguments give the same files.
    With `per_tenant`, each tenant is `tenants/<name>.yaml` (as in spec/), and a rewrite
    touches only the files whose text changes, as an edit would."""
    root.mkdir(parents=True, exist_ok=True)
    for name in SHARED:
        source = REPO / "spec" / name
        if source.is_dir():
            shutil.copytree(source, root / name, dirs_exist_ok=True)
        else:
            shutil.copy(source, root / name)
    rng = random.Random(7)
    kinds = [row[:3] for row in mix for _ in range(row[3])]
    docs = []
    for index in range(tenants):
        plan, state, status = rng.choice(kinds)
        region = rng.choice(sorted(POOLS))
        docs.append(tenant_document(index, plan, state, status, region, extra(index, plan)))
    if not per_tenant:
        (root / "tenants.yaml").write_text("---\n".join(docs))
        return
    folder = root / "tenants"
    folder.mkdir(exist_ok=True)
    for index, text in enumerate(docs):
        path = folder / f"{tenant_name(index)}.yaml"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
