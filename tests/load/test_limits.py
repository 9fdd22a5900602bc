"""Limits on input: whatever shape the YAML has, one file and one run cost bounded time and
memory, and what is refused says which limit and what to do."""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from compiler.load import limits
from compiler.load.discover import FileFacts, load_files
from compiler.load.scan import KnownFile, SpecScan, within_limits
from tests.fixtures.specs import errors, expect

HEADER = "apiVersion: paybill.dev/v1\nkind: Tool\nmetadata: {name: %s}\n"


def merge_attack(keys: int = 1000, repeats: int = 100) -> str:
    """A few kilobytes: an anchor of many keys merged over and over. After the first merge
    every key is one a merge visits but does not take; those visits were free before, so
    ten million of them cost nothing (with 1,000 repeats, a billion: minutes)."""
    many = ", ".join(f"k{i}: x" for i in range(keys))
    a = ", ".join(["*a"] * repeats)
    b = ", ".join(["*b"] * repeats)
    return HEADER % "merged" + (
        f"spec:\n  a: &a {{{many}}}\n  b: &b {{<<: [{a}]}}\n  c: {{<<: [{b}]}}\n"
    )


def test_keys_a_merge_skips_are_charged(workdir: Path) -> None:
    text = merge_attack()
    assert len(text.encode()) < 50_000
    start = time.process_time()
    assert errors(workdir, files={"merged.yaml": text}) == expect(
        "spec/merged.yaml:5:7937: document expands to more than 100,000 values (aliases (*name) and merge keys (<<) that repeat large anchors multiply; write the values out)",
    )
    assert time.process_time() - start < 10


def test_a_million_tiny_documents_are_refused_at_once(workdir: Path) -> None:
    text = "--- 1\n" * 1_000_000
    tracemalloc.start()
    start = time.process_time()
    try:
        found = errors(workdir, files={"many.yaml": text})
        seconds = time.process_time() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == expect(
        "spec/many.yaml:20001:1: file holds more than 20,000 documents, over the limit for one spec file; none of them was read (split it into several files; every *.yaml under the spec folder is read)",
    )
    assert seconds < 10
    assert peak < 200 * 2**20  # the text itself is 6 MB


def test_a_document_too_long_to_read_is_refused_before_yaml_builds_it(workdir: Path) -> None:
    """YAML builds every node of a document before anyone can count them: 8 MiB of `0,`
    would be four million nodes and more than a gigabyte."""
    text = (
        HEADER % "zeros" + "spec: {zeros: [" + "0," * (limits.MAX_DOCUMENT_CHARACTERS // 2) + "]}\n"
    )
    start = time.process_time()
    assert errors(workdir, files={"zeros.yaml": text}) == expect(
        "spec/zeros.yaml:1:1: document is 1,048,656 characters long, over the limit of 1,048,576 for one document; the file was not read (split it into several files; every *.yaml under the spec folder is read)",
    )
    assert time.process_time() - start < 5


@pytest.mark.parametrize(
    ("limit", "value", "message"),
    [
        (
            "MAX_RUN_DOCUMENTS",
            3,
            "b.yaml:6:1: the spec files hold more than 3 documents in all, over the limit for one run; this document and what follows were not read (see 'Limits on input' in Paybill's manual, docs/spec.md; split the platform into several specs)",
        ),
        (
            "MAX_RUN_VALUES",
            20,
            "b.yaml:1:1: the spec files hold more than 20 values in all, over the limit for one run; this document and what follows were not read (see 'Limits on input' in Paybill's manual, docs/spec.md; split the platform into several specs)",
        ),
        (
            "MAX_RUN_BYTES",
            250,
            "b.yaml: the spec files hold more than 250 bytes in all, over the limit for one run; this file and the ones after it were not read (see 'Limits on input' in Paybill's manual, docs/spec.md; split the platform into several specs)",
        ),
    ],
)
def test_a_run_stops_at_its_limits_and_says_what_was_not_read(
    monkeypatch: pytest.MonkeyPatch, limit: str, value: int, message: str
) -> None:
    monkeypatch.setattr(limits, limit, value)

    def tool(n: int) -> str:
        return HEADER % f"t{n}" + "spec: {description: A tool, effect: read}\n"

    files = {
        "a.yaml": (tool(1) + "---\n" + tool(2)).encode(),
        "b.yaml": (tool(3) + "---\n" + tool(4)).encode(),
        "c.yaml": tool(5).encode(),
    }
    loaded = load_files(files, "")
    assert [p.render() for p in loaded.problems] == [message]
    assert [u.file for u in loaded.unread] == ["b.yaml", "c.yaml"]


def test_a_fleet_of_100000_tenants_may_be_compiled_a_changed_tenant_at_a_time() -> None:
    """A compile of the changed tenants alone is taken only when the whole spec stays within
    half of the run's limits; a fleet of 100,000 tenants of the compile benchmark (one file
    each: 254 bytes, one document, 16 values) and its shared documents must fit."""
    tenants = {
        f"tenants/t{i:05d}.yaml": KnownFile((254, 0, 0, i), "0" * 64, 254, 1, 16, (f"t{i:05d}",))
        for i in range(100_000)
    }
    shared = FileFacts("platform.yaml", "0" * 64, (0, 0, 0, 0), 200_000, 24, 8_000)
    scan = SpecScan("spec", present={*tenants, "platform.yaml"})
    assert within_limits(scan, tenants, [shared])
    crowded = {
        **tenants,
        **{f"more/{i}.yaml": tenants["tenants/t00000.yaml"] for i in range(30_000)},
    }
    scan = SpecScan("spec", present={*crowded, "platform.yaml"})
    assert not within_limits(scan, crowded, [shared])
