"""The record cache (`.paybill/records.json`): a recompile takes unchanged records from it
instead of reading and checking every file; a record whose file changed in any way is read
and checked again; a cache from other code, or a damaged one, is ignored; `--check` never
uses it. The records it builds are exactly what reading the files gives."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import orjson
import pytest

from compiler import pipeline
from compiler import records as records_module
from compiler.cli import main
from compiler.records import (
    Confirm,
    Entry,
    NodeRecord,
    RoleEntry,
    TenantFacts,
    parse_record,
    read_records,
    record_files,
    trusted_record,
)
from compiler.write import previous
from tests.conftest import SPEC

CACHE = "generated/.paybill/records.json"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """spec/ compiled. Every compile here is a full one: the cache serves them, and an
    incremental compile (tests/write/test_incremental.py) reads only the records of the
    tenants it compiles."""
    monkeypatch.setattr(pipeline, "compile_changed", lambda spec, out, notes: None)
    shutil.copytree(SPEC, tmp_path / "spec")
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "spec", "--out", "generated"]) == 0
    return tmp_path


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The record files read and checked (not taken from the cache) from now on."""
    seen: list[str] = []
    original = previous.record_data

    def spy(path: str, content: bytes) -> tuple[NodeRecord, dict[str, object]]:
        seen.append(path)
        return original(path, content)

    monkeypatch.setattr(previous, "record_data", spy)
    return seen


def test_trusted_records_equal_the_checked_ones(workdir: Path) -> None:
    out = workdir / "generated"
    for path in record_files(out):
        content = (out / path).read_bytes()
        assert trusted_record(orjson.loads(content)) == parse_record(path, content)
    full = NodeRecord(
        node="tenant:acme",
        kind="tenant",
        name="acme",
        depends_on=("sql:pool-eu",),
        wave=3,
        input_digest="a" * 64,
        artifacts=(Entry("sql/pool-eu/tenants/acme.sql", "b" * 64, 10),),
        tenant=TenantFacts("pro", "bridge", "eu-central-1", None, "active", "active", True, None),
        roles=(RoleEntry("agent_acme_x", "agent", "acme", "x", "tenant-acme"),),
        confirm=Confirm(data_deletion=True, data_move=("pool-eu", "tenant-acme"), destroy=("a.b",)),
    )
    content = orjson.dumps(full.to_json())
    assert trusted_record(orjson.loads(content)) == parse_record(full.path, content) == full


def test_a_recompile_checks_only_the_records_that_changed(
    workdir: Path, checked: list[str]
) -> None:
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert checked == []  # every record from the cache
    tenant = workdir / "spec/tenants/acme.yaml"
    tenant.write_text(tenant.read_text() + "  overrides: {limits: {apiRequestsPerSecond: 51}}\n")
    before = (workdir / "generated/nodes/stack/tenant-acme.json").read_bytes()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert (workdir / "generated/nodes/stack/tenant-acme.json").read_bytes() != before
    assert checked == []  # written by the last compile: cached from the bytes it wrote
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert checked == []
    assert (
        read_records(workdir / "generated") == previous.read_previous(workdir / "generated").records
    )


def test_a_record_changed_on_disk_is_read_and_checked_again(
    workdir: Path, checked: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "generated/nodes/acl/acme.json"
    data = json.loads(path.read_text())
    data["artifacts"].append({"path": "../victim.txt", "sha256": "0" * 64, "bytes": 1})
    path.write_text(json.dumps(data))  # same cache entry, new stat
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert checked == ["nodes/acl/acme.json"]
    assert "generated/nodes/acl/acme.json is damaged" in capsys.readouterr().err
    assert not (workdir / "victim.txt").exists()


@pytest.mark.parametrize(
    "cache",
    [b"{not json", b"[]", b'{"code": "other", "records": {}}', b'{"code": null}'],
)
def test_a_cache_from_other_code_or_damaged_is_ignored_and_written_again(
    workdir: Path, checked: list[str], cache: bytes
) -> None:
    (workdir / CACHE).write_bytes(cache)
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert len(checked) == len(record_files(workdir / "generated"))
    checked.clear()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert checked == []


def test_check_reads_every_record_whatever_the_cache_says(
    workdir: Path, checked: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    cache = json.loads((workdir / CACHE).read_text())
    entry = cache["records"]["nodes/acl/acme.json"]
    entry[4]["inputDigest"] = "0" * 64  # a cache that lies (its stat still matches)
    (workdir / CACHE).write_text(json.dumps(cache))
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 0
    assert len(checked) == len(record_files(workdir / "generated"))
    assert json.loads((workdir / CACHE).read_text()) == cache  # --check writes no cache


def test_the_cache_names_the_code_that_checks_records(workdir: Path) -> None:
    """A change to `compiler/records.py` (how records are checked, and built from the cache)
    must start the cache afresh; the emitter `compiler/emit/records.py` is not that code."""
    checker = Path(records_module.__file__).read_bytes()
    cache = json.loads((workdir / CACHE).read_text())
    assert cache["code"] == hashlib.sha256(checker).hexdigest()
