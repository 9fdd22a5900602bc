"""Facts about the five clouds that the spec is checked against: their region names and the
reviewed table that maps a cloud-neutral database size to each cloud's SKU.

Both are data files beside this module (data/regions.json, data/skus.json), each list and
each row with its source; docs/clouds.md says how to refresh them. They are read once, when
a spec is first checked against them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CLOUDS = ("aws", "azure", "gcp", "oci", "ibm")
# The clouds whose stacks `compile` builds today; the others are accepted by `validate`.
DRIVERS = frozenset({"aws", "azure", "gcp", "oci", "ibm"})
DATA = Path(__file__).resolve().parent / "data"

# What a pinned SKU (`sku: {azure: ...}`) must look like on each cloud: the shape of the
# provider argument it becomes, so that a typo is caught at review, not at apply.
SKU_PATTERNS = {
    "aws": r"^db\.[a-z0-9]+\.[a-z0-9]+$",
    "azure": r"^(B|GP|MO)_Standard_[A-Za-z0-9_]+$",
    "gcp": r"^db-[a-z0-9-]+$",
    "oci": r"^VM\.[A-Za-z0-9.]+\.Flex\.[1-9][0-9]*\.[1-9][0-9]*GB$",
    "ibm": r"^[a-z0-9]+\.[0-9]+x[0-9]+\.encrypted$|^multitenant$",
}
SKU_MEANING = {
    "aws": "an RDS instance class such as 'db.r6g.large'",
    "azure": "a flexible server SKU such as 'GP_Standard_D4ds_v5'",
    "gcp": "a Cloud SQL tier such as 'db-custom-4-16384'",
    "oci": "a shape with OCPUs and memory such as 'VM.Standard.E5.Flex.2.32GB'",
    "ibm": "a host flavor such as 'b3c.4x16.encrypted'",
}


@dataclass(frozen=True, slots=True)
class SkuRow:
    sku: str
    vcpu: int
    memory_gb: float
    source: str


@cache
def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_bytes())
    return data


def regions(cloud: str) -> tuple[str, ...]:
    """The region names of `cloud`, sorted."""
    return tuple(_read("regions.json")[cloud]["regions"])


def region_source(cloud: str) -> str:
    return str(_read("regions.json")[cloud]["source"])


@cache
def _owners() -> dict[str, str]:
    return {region: cloud for cloud in CLOUDS for region in regions(cloud)}


def cloud_of_region(region: str) -> str | None:
    """The cloud that has a region of this name, or None."""
    return _owners().get(region)


@cache
def sku_table(cloud: str) -> tuple[SkuRow, ...]:
    rows = _read("skus.json")[cloud]["rows"]
    return tuple(SkuRow(r["sku"], r["vcpu"], float(r["memoryGb"]), r["source"]) for r in rows)


def sku_for(cloud: str, vcpu: int, memory_gb: float) -> SkuRow | None:
    """The smallest row of the cloud's table with at least `vcpu` and `memory_gb`: fewest
    vCPUs first, then least memory (a size is a floor, never rounded down); None when no
    row is that large."""
    fitting = [r for r in sku_table(cloud) if r.vcpu >= vcpu and r.memory_gb >= memory_gb]
    return min(fitting, key=lambda r: (r.vcpu, r.memory_gb), default=None)


def largest(cloud: str) -> SkuRow:
    return max(sku_table(cloud), key=lambda r: (r.vcpu, r.memory_gb))


def valid_sku(cloud: str, sku: str) -> bool:
    return re.fullmatch(SKU_PATTERNS[cloud], sku) is not None
