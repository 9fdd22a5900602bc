"""Silo networks: allocated by name from the platform's range, overridable per tenant, and never
overlapping each other or a pool (compiler.resolve.networks).

The base spec (tests/fixtures/base) has pools on 10.10.0.0/16 and 10.11.0.0/16 and one silo
tenant, alpha, on plan enterprise (resources.network 10.20.0.0/16).
"""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.resolve.networks import allocated
from tests.fixtures.specs import BASE, errors, expect, tenant_document, valid

RANGE = "  siloNetworks: {cidr: 10.64.0.0/10, prefixLength: 20}\n"


def platform(range_: str = RANGE) -> str:
    return (BASE / "platform.yaml").read_text() + range_


def plans_without_network() -> str:
    text = (BASE / "plans.yaml").read_text()
    assert "    network: {cidr: 10.20.0.0/16}\n" in text
    return text.replace("    network: {cidr: 10.20.0.0/16}\n", "")


def silo(name: str, *extra: str, state: str = "active", status: str = "active") -> str:
    return tenant_document(name, "enterprise", "eu-central-1", *extra, state=state, status=status)


def networks(workdir: Path, files: dict[str, str]) -> dict[str, str | None]:
    spec = valid(workdir, files=files)
    return {t.name: t.network_cidr for t in spec.tenants if t.isolation == "silo"}


def test_the_slot_of_a_name_never_changes() -> None:
    """Every deployed silo network depends on this function: a change to it would move
    every tenant's network, so its results are pinned."""
    assert allocated("10.64.0.0/10", 20, "alpha") == "10.89.224.0/20"
    assert allocated("10.64.0.0/10", 20, "acme") == "10.74.0.0/20"
    assert allocated("10.64.0.0/10", 16, "acme") == "10.96.0.0/16"
    assert allocated("10.64.0.0/22", 24, "alpha") == "10.64.2.0/24"
    assert allocated("10.64.0.0/16", 16, "anything") == "10.64.0.0/16"


def test_networks_are_allocated_by_name_and_overridden_per_tenant(workdir: Path) -> None:
    files = {
        "platform.yaml": platform(),
        "plans.yaml": plans_without_network(),
        "tenants/sigma.yaml": silo("sigma"),
        "tenants/kept.yaml": silo("kept", "  network: {cidr: 10.20.0.0/16}"),
    }
    assert networks(workdir, files) == {
        "alpha": "10.89.224.0/20",
        "kept": "10.20.0.0/16",
        "sigma": "10.79.176.0/20",
    }


def in_folder(workdir: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working folder below `workdir`, made the current one."""
    folder = workdir / name
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_other_tenants_never_move_a_tenants_network(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What two pull requests that each add a tenant need: a tenant's range depends on its
    own name and the platform's range only, not on which other tenants exist."""
    base = {"platform.yaml": platform(), "plans.yaml": plans_without_network()}
    alone = networks(in_folder(workdir, "alone", monkeypatch), base)
    more = {**base, **{f"tenants/{n}.yaml": silo(n) for n in ("sigma", "tau", "upsilon")}}
    crowded = networks(in_folder(workdir, "crowded", monkeypatch), more)
    assert crowded["alpha"] == alone["alpha"]
    assert len(set(crowded.values())) == 4


def test_without_a_platform_range_silo_tenants_of_one_plan_overlap(workdir: Path) -> None:
    assert errors(workdir, files={"tenants/sigma.yaml": silo("sigma")}) == expect(
        "spec/tenants/alpha.yaml:4:9: Tenant/alpha metadata.name: network 10.20.0.0/16 (from plan 'enterprise', resources.network.cidr) overlaps 10.20.0.0/16 of tenant 'sigma' (spec/tenants/sigma.yaml) (set Platform spec.siloNetworks so that each silo tenant gets a range of its own, or write this tenant's spec.network.cidr)",
        "spec/tenants/sigma.yaml:4:9: Tenant/sigma metadata.name: network 10.20.0.0/16 (from plan 'enterprise', resources.network.cidr) overlaps 10.20.0.0/16 of tenant 'alpha' (spec/tenants/alpha.yaml) (set Platform spec.siloNetworks so that each silo tenant gets a range of its own, or write this tenant's spec.network.cidr)",
    )


def test_two_names_on_one_block_are_told_a_free_one(workdir: Path) -> None:
    """alpha and tau share a slot of this small range; each is told a free block to write."""
    files = {
        "platform.yaml": platform("  siloNetworks: {cidr: 10.64.0.0/22, prefixLength: 24}\n"),
        "plans.yaml": plans_without_network(),
        "tenants/tau.yaml": silo("tau"),
    }
    assert errors(workdir, files=files) == expect(
        "spec/tenants/alpha.yaml:4:9: Tenant/alpha metadata.name: network 10.64.2.0/24 (allocated by name from Platform spec.siloNetworks) overlaps 10.64.2.0/24 of tenant 'tau' (spec/tenants/tau.yaml) (write spec.network.cidr on this tenant, e.g. '10.64.3.0/24', which is free; a tenant already applied keeps its range (changing it replaces its network))",
        "spec/tenants/tau.yaml:4:9: Tenant/tau metadata.name: network 10.64.2.0/24 (allocated by name from Platform spec.siloNetworks) overlaps 10.64.2.0/24 of tenant 'alpha' (spec/tenants/alpha.yaml) (write spec.network.cidr on this tenant, e.g. '10.64.3.0/24', which is free; a tenant already applied keeps its range (changing it replaces its network))",
    )


def test_written_networks_overlapping_a_pool_or_each_other(workdir: Path) -> None:
    files = {
        "tenants/alpha.yaml": silo("alpha", "  network: {cidr: 10.10.64.0/20}"),
        "tenants/sigma.yaml": silo("sigma", "  network: {cidr: 10.30.0.0/16}"),
        "tenants/tau.yaml": silo("tau", "  network: {cidr: 10.30.16.0/20}"),
    }
    assert errors(workdir, files=files) == expect(
        "spec/tenants/alpha.yaml:11:19: Tenant/alpha spec.network.cidr: network 10.10.64.0/20 (spec.network.cidr) overlaps 10.10.0.0/16 of pool 'eu-pool' (write a range that no pool and no other silo tenant uses)",
        "spec/tenants/sigma.yaml:11:19: Tenant/sigma spec.network.cidr: network 10.30.0.0/16 (spec.network.cidr) overlaps 10.30.16.0/20 of tenant 'tau' (spec/tenants/tau.yaml) (write a range that no pool and no other silo tenant uses)",
        "spec/tenants/tau.yaml:11:19: Tenant/tau spec.network.cidr: network 10.30.16.0/20 (spec.network.cidr) overlaps 10.30.0.0/16 of tenant 'sigma' (spec/tenants/sigma.yaml) (write a range that no pool and no other silo tenant uses)",
    )


def test_tenant_networks_are_16_to_24_bits(workdir: Path) -> None:
    files = {"platform.yaml": platform("  siloNetworks: {cidr: 10.0.0.0/8, prefixLength: 25}\n")}
    assert errors(workdir, files=files) == expect(
        "spec/platform.yaml:20:50: Platform/fixture spec.siloNetworks.prefixLength: must be at most 24, not 25",
    )


def test_the_platform_range_avoids_pools_and_replaces_plan_networks(workdir: Path) -> None:
    files = {"platform.yaml": platform("  siloNetworks: {cidr: 10.0.0.0/8}\n")}
    assert errors(workdir, files=files) == expect(
        "spec/plans.yaml:48:5: Plan/enterprise spec.resources.network: the platform allocates each silo tenant's network (Platform fixture spec.siloNetworks), so the network of plan 'enterprise' would not be used (remove resources.network; a tenant that keeps an existing range writes it as spec.network.cidr)",
        "spec/platform.yaml:20:24: Platform/fixture spec.siloNetworks.cidr: the silo tenants' range '10.0.0.0/8' overlaps 10.10.0.0/16 of pool 'eu-pool' (spec.pools[0].network.cidr) (choose a range that holds no pool's network)",
        "spec/platform.yaml:20:24: Platform/fixture spec.siloNetworks.cidr: the silo tenants' range '10.0.0.0/8' overlaps 10.11.0.0/16 of pool 'us-pool' (spec.pools[1].network.cidr) (choose a range that holds no pool's network)",
    )


def test_the_platform_range_is_written_with_its_first_address(workdir: Path) -> None:
    files = {
        "platform.yaml": platform("  siloNetworks: {cidr: 10.64.0.1/24, prefixLength: 20}\n"),
        "plans.yaml": plans_without_network(),
    }
    assert errors(workdir, files=files) == expect(
        "spec/platform.yaml:20:24: Platform/fixture spec.siloNetworks.cidr: '10.64.0.1/24' has host bits set; a network is written with its first address (did you mean '10.64.0.0/24'?)",
    )


def test_the_platform_range_is_private_and_holds_a_tenant_network(workdir: Path) -> None:
    files = {
        "platform.yaml": platform("  siloNetworks: {cidr: 11.64.0.0/24, prefixLength: 20}\n"),
        "plans.yaml": plans_without_network(),
    }
    assert errors(workdir, files=files) == expect(
        "spec/platform.yaml:20:24: Platform/fixture spec.siloNetworks.cidr: '11.64.0.0/24' is not a private range (use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, or a part of one)",
        "spec/platform.yaml:20:24: Platform/fixture spec.siloNetworks.cidr: '11.64.0.0/24' is smaller than one tenant network (/20) (use a larger range or a larger prefixLength)",
    )


def test_only_silo_tenants_have_a_network(workdir: Path) -> None:
    beta = (BASE / "tenants" / "beta.yaml").read_text() + "  network: {cidr: 10.40.0.0/16}\n"
    assert errors(workdir, files={"tenants/beta.yaml": beta}) == expect(
        "spec/tenants/beta.yaml:14:3: Tenant/beta spec.network: bridge tenants use their pool's network (plan 'pro' is bridge) (remove 'network'; only silo tenants have a network of their own)",
    )


def test_deleted_tenants_hold_no_network(workdir: Path) -> None:
    gone = silo("sigma", "  confirmDataDeletion: sigma", state="deleted", status="canceled")
    assert networks(workdir, {"tenants/sigma.yaml": gone})["alpha"] == "10.20.0.0/16"


def test_pools_need_networks_of_their_own(workdir: Path) -> None:
    text = (BASE / "platform.yaml").read_text().replace("10.11.0.0/16", "10.10.16.0/20")
    assert errors(workdir, files={"platform.yaml": text}) == expect(
        "spec/platform.yaml:14:23: Platform/fixture spec.pools[0].network.cidr: network 10.10.0.0/16 of pool 'eu-pool' overlaps 10.10.16.0/20 of pool 'us-pool' (pools need networks of their own)",
        "spec/platform.yaml:18:23: Platform/fixture spec.pools[1].network.cidr: network 10.10.16.0/20 of pool 'us-pool' overlaps 10.10.0.0/16 of pool 'eu-pool' (pools need networks of their own)",
    )
