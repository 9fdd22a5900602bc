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


SILO_NETWORKS = 128 * 256  # the /24 networks of 10.128.0.0/9


def silo_network(number: int) -> str:
    """A network of its own for each silo tenant (silo networks may not overlap): the
    `number`th /24 of 10.128.0.0/9."""
    if not 0 <= number < SILO_NETWORKS:
        raise ValueError(f"silo network {number}: only {SILO_NETWORKS} fit in 10.128.0.0/9")
    return f"10.{128 + number // 256}.{number % 256}.0/24"


def tenant_document(
    index: int,
    plan: str,
    state: str,
    status: str,
    region: str,
    extra: str = "",
    network: int | None = None,
) -> str:
    """`network`: the number of a silo tenant's network (by default its index)."""
    pool = f"  pool: {POOLS[region]}\n"
    if plan == "enterprise":
        pool = f"  network: {{cidr: {silo_network(index if network is None else network)}}}\n"
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
    silos = 0  # networks are numbered by silo tenant, not by tenant: 100,000 tenants fit
    for index in range(tenants):
        plan, state, status = rng.choice(kinds)
        region = rng.choice(sorted(POOLS))
        text = tenant_document(index, plan, state, status, region, extra(index, plan), silos)
        silos += plan == "enterprise"
        docs.append(text)
    if not per_tenant:
        (root / "tenants.yaml").write_text("---\n".join(docs))
        return
    folder = root / "tenants"
    folder.mkdir(exist_ok=True)
    for index, text in enumerate(docs):
        path = folder / f"{tenant_name(index)}.yaml"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
