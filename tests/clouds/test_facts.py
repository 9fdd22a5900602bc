"""The region lists and SKU tables of compiler/clouds/data: well formed, each with its source,
and the mapping from a cloud-neutral size to the smallest SKU that holds it."""

from __future__ import annotations

import re

import pytest

from compiler import clouds
from compiler.dsl.common import REGION_PATTERN


@pytest.mark.parametrize("cloud", clouds.CLOUDS)
def test_regions_are_sorted_unique_spellable_and_sourced(cloud: str) -> None:
    regions = clouds.regions(cloud)
    assert list(regions) == sorted(set(regions))
    assert len(regions) >= 10
    assert all(re.fullmatch(REGION_PATTERN, r) for r in regions)
    assert clouds.region_source(cloud)


def test_no_region_name_belongs_to_two_clouds() -> None:
    names = [r for c in clouds.CLOUDS for r in clouds.regions(c)]
    assert len(names) == len(set(names))
    assert clouds.cloud_of_region("westeurope") == "azure"
    assert clouds.cloud_of_region("eu-de") == "ibm"
    assert clouds.cloud_of_region("moon-1") is None


@pytest.mark.parametrize("cloud", clouds.CLOUDS)
def test_every_row_has_a_source_and_the_spelling_of_its_cloud(cloud: str) -> None:
    rows = clouds.sku_table(cloud)
    assert rows
    for row in rows:
        assert row.source
        assert clouds.valid_sku(cloud, row.sku), row.sku
    pairs = [(r.vcpu, r.memory_gb) for r in rows]
    assert len(pairs) == len(set(pairs)), "two rows of the same size would make a choice"


@pytest.mark.parametrize(
    ("cloud", "vcpu", "memory", "sku"),
    [
        ("aws", 2, 8, "db.m6g.large"),
        ("aws", 2, 10, "db.r6g.large"),  # fewest vCPUs first, then least memory
        ("aws", 3, 8, "db.m6g.xlarge"),
        ("azure", 1, 2, "B_Standard_B1ms"),
        ("azure", 4, 16, "GP_Standard_D4ds_v5"),
        ("azure", 4, 20, "MO_Standard_E4ds_v5"),
        ("gcp", 1, 3.75, "db-custom-1-3840"),
        ("gcp", 2, 10, "db-custom-2-13312"),
        ("oci", 3, 20, "VM.Standard.E5.Flex.2.32GB"),
        ("ibm", 4, 16, "b3c.4x16.encrypted"),
        ("ibm", 8, 40, "m3c.8x64.encrypted"),
    ],
)
def test_a_size_maps_to_the_smallest_sku_that_holds_it(
    cloud: str, vcpu: int, memory: float, sku: str
) -> None:
    row = clouds.sku_for(cloud, vcpu, memory)
    assert row is not None
    assert row.sku == sku


def test_a_size_larger_than_every_row_maps_to_none() -> None:
    assert clouds.sku_for("ibm", 64, 16) is None
    assert clouds.largest("ibm").sku == "b3c.32x128.encrypted"  # most vCPUs
