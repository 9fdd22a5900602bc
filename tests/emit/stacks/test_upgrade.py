"""Stacks written before modules upgrade to modules without Terraform changing anything.

`tests/data/stacks-before-modules.json.gz` holds every stack of spec/ and the examples as
paybill wrote them before modules (each resource at the top of its stack), with the specs
they were compiled from. Compiled again now, each stack, read as one configuration
(`tests.emit.stacks.effective`), is that same configuration: the same resources with the
same values, data sources, outputs, variables, provider and backend. Its `moved` blocks move
every old address to the module's, so `terraform plan` of an applied stack of the old
layout moves state and changes nothing (tests/sandbox/test_stacks.py shows it on the
emulator).

This pins the upgrade of the release that introduced modules. A later change to the
builders that changes a resource on purpose changes it for old and new stacks alike: list
it in KNOWN_CHANGES with the reason, rather than rewriting the old stacks.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.emit.stacks.compiled import family_artifacts, modules, roots
from tests.emit.stacks.conftest import write_files
from tests.emit.stacks.effective import comparable, effective
from tests.support.tools import REPO

BEFORE = REPO / "tests" / "data" / "stacks-before-modules.json.gz"
# (set, stack, top-level key, type) -> why it differs from the stack before modules.
KNOWN_CHANGES: dict[tuple[str, str, str, str], str] = {}


def before() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(gzip.decompress(BEFORE.read_bytes()))
    return found


SETS = sorted(before()["stacks"])


def without_known_changes(name: str, stack: str, config: dict[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
    for set_name, stack_name, key, type_ in KNOWN_CHANGES:
        if (set_name, stack_name) == (name, stack):
            out.get(key, {}).pop(type_, None)
    return out


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = {}
    for name, files in before()["specs"].items():
        folder = write_files(tmp_path_factory.mktemp(name), files)
        out[name] = family_artifacts(Path(folder))
    return out


def test_the_old_stacks_cover_spec_and_the_examples() -> None:
    assert SETS == ["pooled-fleet", "silo-enterprise", "spec"]
    assert sum(len(stacks) for stacks in before()["stacks"].values()) == 22


@pytest.mark.parametrize("name", SETS)
def test_every_stack_is_the_configuration_it_was(compiled: dict[str, Any], name: str) -> None:
    old = before()["stacks"][name]
    artifacts = compiled[name]
    now = {s: effective(r, modules(artifacts)) for s, r in roots(artifacts).items()}
    assert sorted(now) == sorted(old)
    for stack in sorted(old):
        assert without_known_changes(name, stack, now[stack]) == without_known_changes(
            name, stack, comparable(old[stack])
        ), stack


@pytest.mark.parametrize("name", SETS)
def test_every_old_address_moves_into_the_module(compiled: dict[str, Any], name: str) -> None:
    old = before()["stacks"][name]
    for stack, root in roots(compiled[name]).items():
        (call,) = root["module"]
        addresses = {
            f"{type_}.{resource}"
            for type_, items in old[stack]["resource"].items()
            for resource in items
        }
        moves = {m["from"]: m["to"] for m in root["moved"]}
        assert moves == {a: f"module.{call}.{a}" for a in addresses}, stack
