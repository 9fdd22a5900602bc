"""Input digests: a stack's digest moves exactly when what the stack is built from moves."""

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


def test_every_stack_has_a_digest(tmp_path: Path) -> None:
    digests = digests_of(tmp_path, spec_files())
    assert len(digests) == 11
    assert all(node.startswith("stack:") and len(d) == 64 for node, d in digests.items())


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
    def change(files: dict[str, str]) -> None:
        files["tenants/bridged.yaml"] = tenant("bridged", "business", "suspended")

    assert compare(tmp_path, change) == ["stack:tenant-bridged"]


def test_a_pool_change_touches_the_pool_only(tmp_path: Path) -> None:
    def change(files: dict[str, str]) -> None:
        files["platform.yaml"] = files["platform.yaml"].replace("10.1.0.0/16", "10.2.0.0/16")

    assert compare(tmp_path, change) == ["stack:pool-shared"]


def test_the_state_backend_touches_every_stack(tmp_path: Path) -> None:
    def change(files: dict[str, str]) -> None:
        files["platform.yaml"] = PLATFORM.format(backend=S3)

    assert spec_files()["platform.yaml"] == PLATFORM.format(backend=LOCAL)
    assert len(compare(tmp_path, change)) == 11


def test_new_builder_code_rebuilds_every_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reused stack must be what the current builders would write, so their code is part of
    every digest."""
    before = digests_of(tmp_path / "before", spec_files())
    monkeypatch.setattr(stacks, "builder_digest", lambda: "another version of the builders")
    after = digests_of(tmp_path / "after", spec_files())
    assert len(changed(before, after)) == len(before) == 11
