"""A plan's SQL review reads the states of both outputs; a base written before the runtime
was shared (each target's `state.json` whole, the tenants' policies listed) compares with a
head that shares it, and shows no change where there is none."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pydantic import TypeAdapter

from compiler.emit.artifact import canonical_json
from compiler.emit.sql.build import build_runtime, build_tenant
from compiler.emit.sql.runtime import assemble, runtime_json, target_json, target_part
from compiler.emit.sql.state import TenantPart, to_json
from compiler.operate.sources import FolderSource
from compiler.operate.sql_diff import runtime_lines
from compiler.operate.sql_states import States
from compiler.pipeline import validate
from compiler.records import Entry, NodeRecord
from tests.conftest import EXAMPLES

FLEET = next(p for p in EXAMPLES if p.name == "pooled-fleet")
TARGET = "pool-fleet-eu"


def output(folder: Path, files: dict[str, tuple[str, bytes]]) -> States:
    """An output folder holding `files` (path -> (node, bytes)), and its records."""
    records: dict[str, NodeRecord] = {}
    for path, (node, content) in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(content)
        kind, _, name = node.partition(":")
        entries = (*(records[node].artifacts if node in records else ()), Entry(path, "0" * 64, 1))
        records[node] = NodeRecord(node, kind, name, (), 0, "0" * 64, entries)
    return States(FolderSource(folder), records.get, sorted(records))


def test_a_base_from_before_the_shared_runtime_reads_as_the_same_state(tmp_path: Path) -> None:
    spec = validate(FLEET)
    runtime = build_runtime(spec)
    part = target_part(runtime, TARGET)
    shared = assemble(runtime, part)
    tenant = build_tenant(shared, spec.tenant("alpha-co"))
    old_tenant = TypeAdapter(TenantPart).dump_python(
        replace(tenant, schema_version="paybill.dev/sql-tenant/v2"), mode="json"
    )
    base = output(
        tmp_path / "base",
        {
            f"sql/{TARGET}/state.json": (f"sql:{TARGET}", canonical_json(to_json(shared))),
            f"sql/{TARGET}/tenants/alpha-co.json": ("tenant:alpha-co", canonical_json(old_tenant)),
        },
    )
    head = output(
        tmp_path / "head",
        {
            "sql/shared/state.json": ("runtime:sql", canonical_json(runtime_json(runtime))),
            f"sql/{TARGET}/state.json": (f"sql:{TARGET}", canonical_json(target_json(part))),
            f"sql/{TARGET}/tenants/alpha-co.json": (
                "tenant:alpha-co",
                canonical_json(to_json(tenant)),
            ),
        },
    )
    assert base.runtime() == (runtime, True)
    assert head.runtime() == (runtime, False)
    assert base.target(TARGET) == head.target(TARGET) == part
    assert base.shared(TARGET) == head.shared(TARGET) == shared
    assert base.tenant("alpha-co") == replace(tenant, schema_version="paybill.dev/sql-tenant/v2")
    assert head.tenant("alpha-co") == tenant
    assert runtime_lines(base, head, 1) == [
        "every SQL target applies this (1 in all)",
        "the SQL every target shared is now written once, in sql/shared/",
    ]
