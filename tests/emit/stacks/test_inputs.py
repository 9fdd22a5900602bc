"""Input digests: a stack's or a module's digest moves exactly when what it is built from
moves. A module (one per stack shape) is built from its shape and the platform; a stack from
its module and its values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.emit import stacks
from compiler.emit.stacks import FAMILY
from compiler.graph import build_graph
from compiler.pipeline import validate
from tests.emit.stacks.conftest import write_files
from tests.emit.stacks.specs import LOCAL, PLATFORM, S3, spec_files, tenant

Digests = dict[str, str]


def digests_of(root: Path, files: dict[str, str]) -> Digests:
    spec = validate(write_files(root, files))
    return FAMILY.input_digests(spec, build_graph(spec))


def changed(before: Digests, after: Digests) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def compare(tmp_path: Path, change: Callable[[dict[str, str]], None]) -> list[str]:
    files = spec_files()
    before = digests_of(tmp_path / "before", files)
    change(files)
    return changed(before, digests_of(tmp_path / "after", files))


# Every shape the behaviour spec's plans and pool allow, whether a tenant has it or not.
SHAPES = [
    *(f"module:aws-bridge-{w}" for w in ("idle-blocked", "service-blocked", "service-limited")),
    "module:aws-bridge-service-unlimited",
    *(f"module:aws-bridge-shared-{a}" for a in ("blocked", "limited", "unlimited")),
    "module:aws-pool",
    *(f"module:aws-pooled-shared-{a}" for a in ("blocked", "limited", "unlimited")),
    *(f"module:aws-silo-{w}" for w in ("idle-blocked", "service-blocked", "service-limited")),
    "module:aws-silo-service-unlimited",
]
EVERY_NODE = 11 + len(SHAPES)


def test_every_stack_and_module_has_a_digest(tmp_path: Path) -> None:
    digests = digests_of(tmp_path, spec_files())
    assert sorted(n for n in digests if n.startswith("module:")) == SHAPES
    assert len([n for n in digests if n.startswith("stack:")]) == 11
    assert all(len(d) == 64 for d in digests.values())


def test_a_tenants_limits_change_only_its_stack(tmp_path: Path) -> None:
    def change(files: dict[str, str]) -> None:
        files["tenants/pooled.yaml"] += "  overrides: {limits: {apiRequestsPerSecond: 11}}\n"

    assert compare(tmp_path, change) == ["stack:tenant-pooled"]


def test_what_a_stack_does_not_read_changes_nothing(tmp_path: Path) -> None:
    """Seats, display names and contacts are not infrastructure."""

    def change(files: dict[str, str]) -> None:
        files["tenants/pooled.yaml"] = (
            files["tenants/pooled.yaml"].replace("displayName: Pooled", "displayName: Renamed")
            + "  overrides: {limits: {seats: 99}}\n"
            + "  contacts: [{email: ops@pooled.example}]\n"
        )

    assert compare(tmp_path, change) == []


def test_a_new_tenant_leaves_the_pool_and_other_tenants_alone(tmp_path: Path) -> None:
    def change(files: dict[str, str]) -> None:
        files["tenants/newcomer.yaml"] = tenant("newcomer", "business")

    assert compare(tmp_path, change) == ["stack:tenant-newcomer"]


def test_a_state_change_touches_that_tenant_only(tmp_path: Path) -> None:
    """Suspended, a bridge tenant takes another module (blocked on the API): one that is
    there already, whether another tenant uses it or not."""

    def change(files: dict[str, str]) -> None:
        files["tenants/bridged.yaml"] = tenant("bridged", "business", "suspended")

    assert compare(tmp_path, change) == ["stack:tenant-bridged"]


def test_the_last_tenant_of_a_shape_leaves_its_module_alone(tmp_path: Path) -> None:
    def change(files: dict[str, str]) -> None:
        del files["tenants/pooled-free.yaml"]

    assert compare(tmp_path, change) == ["stack:tenant-pooled-free"]


def test_a_stack_letting_a_store_go_has_a_module_of_its_own(tmp_path: Path) -> None:
    def change(files: dict[str, str]) -> None:
        files["tenants/bridged.yaml"] += "  confirmDestroy: [aws_db_instance.database]\n"

    assert compare(tmp_path, change) == ["module:tenant-bridged", "stack:tenant-bridged"]


def test_a_new_plan_brings_the_modules_of_its_shapes(tmp_path: Path) -> None:
    def change(files: dict[str, str]) -> None:
        files["plans.yaml"] += (
            "---\napiVersion: paybill.dev/v1\nkind: Plan\nmetadata: {name: lite}\nspec:\n"
            "  displayName: Lite\n  isolation: pooled\n"
            "  limits: {seats: 1, storageGb: 1, apiRequestsPerSecond: 1, agentRunsPerDay: 1}\n"
        )

    assert compare(tmp_path, change) == []  # pooled shapes: there already


def test_a_pool_change_touches_the_pool_only(tmp_path: Path) -> None:
    def change(files: dict[str, str]) -> None:
        files["platform.yaml"] = files["platform.yaml"].replace("10.1.0.0/16", "10.2.0.0/16")

    assert compare(tmp_path, change) == ["stack:pool-shared"]


def test_the_state_backend_touches_every_stack(tmp_path: Path) -> None:
    def change(files: dict[str, str]) -> None:
        files["platform.yaml"] = PLATFORM.format(backend=S3)

    assert spec_files()["platform.yaml"] == PLATFORM.format(backend=LOCAL)
    assert len(compare(tmp_path, change)) == EVERY_NODE


def test_new_builder_code_rebuilds_every_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reused stack or module must be what the current builders would write, so their
    code is part of every digest."""
    before = digests_of(tmp_path / "before", spec_files())
    monkeypatch.setattr(stacks, "builder_digest", lambda: "another version of the builders")
    after = digests_of(tmp_path / "after", spec_files())
    assert len(changed(before, after)) == len(before) == EVERY_NODE
