"""The compile cache (`.paybill/cache`): one file, one format, rebuilt whenever it cannot be
trusted. A recompile takes unchanged records from it instead of reading and checking every
file; a record whose file changed in any way is read and checked again; a cache of another
format, of other code, damaged, or edited by hand is ignored and written again; `--check`
never uses it. The records it gives are exactly what reading the files gives."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from compiler import pipeline, scope
from compiler.cli import main
from compiler.homes import Confirmed
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
from compiler.write import cache as cache_module
from compiler.write import previous
from compiler.write.cache import FORMAT, Cache, cache_key
from compiler.write.disk import Disk
from tests.conftest import SPEC

CACHE = "generated/.paybill/cache"


def read_cache(path: Path) -> tuple[dict[str, Any], dict[str, Any], list[bytes]]:
    """The header, the index (files, snapshot) and the record lines of a cache file."""
    header, index, *records = path.read_bytes().split(b"\n")
    return orjson.loads(header), orjson.loads(index), [r for r in records if r]


def write_cache(
    path: Path, header: dict[str, Any], index: dict[str, Any], records: list[bytes]
) -> None:
    """Write a cache whose digests match its content, as one a compile wrote would."""
    line, lines = orjson.dumps(index), b"\n".join(records)
    sha256 = {"index": hashlib.sha256(line), "records": hashlib.sha256(lines)}
    header = {**header, **{part: digest.hexdigest() for part, digest in sha256.items()}}
    path.write_bytes(orjson.dumps(header) + b"\n" + line + b"\n" + lines)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """spec/ compiled. Every compile here compiles the whole spec: the cache serves them,
    and a compile of a few tenants reads only their records (tests/write/test_incremental.py)."""
    monkeypatch.setattr(pipeline, "narrowed", lambda spec, cache: None)
    shutil.copytree(SPEC, tmp_path / "spec")
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "spec", "--out", "generated"]) == 0
    return tmp_path


def test_trusted_records_equal_the_checked_ones(workdir: Path) -> None:
    out = workdir / "generated"
    cache = Cache.load(out, cache_key(Path("spec"), Path("generated")))
    assert len(cache.records) == len(record_files(out))
    for path in record_files(out):
        content = (out / path).read_bytes()
        kept = cache.record(path, hashlib.sha256(content).hexdigest())
        assert kept is not None
        assert trusted_record(kept) == parse_record(path, content)
    full = NodeRecord(
        node="tenant:acme",
        kind="tenant",
        name="acme",
        depends_on=("sql:pool-eu",),
        wave=3,
        input_digest="a" * 64,
        artifacts=(Entry("sql/pool-eu/tenants/acme.sql", "b" * 64, 10),),
        tenant=TenantFacts(
            "pro", "bridge", "eu-central-1", None, "active", "active", True, None, cloud="aws"
        ),
        roles=(RoleEntry("agent_acme_x", "agent", "acme", "x", "tenant-acme"),),
        confirm=Confirm(
            data_deletion=True,
            migration=Confirmed("pooled/eu", "bridge/eu", retire_old=True),
            destroy=("a.b",),
        ),
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
    assert checked == []  # written by the last compile: kept from the bytes it wrote
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert checked == []
    out = workdir / "generated"
    cache = Cache.load(out, cache_key(Path("spec"), Path("generated")))
    assert read_records(out) == previous.read_previous(out, cache, Disk(out, {})).records


def test_a_record_changed_on_disk_is_read_and_checked_again(
    workdir: Path, checked: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "generated/nodes/acl/acme.json"
    data = json.loads(path.read_text())
    data["artifacts"].append({"path": "../victim.txt", "sha256": "0" * 64, "bytes": 1})
    path.write_text(json.dumps(data))  # same cache entry, new stat and digest
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert checked == ["nodes/acl/acme.json"]
    assert "generated/nodes/acl/acme.json is damaged" in capsys.readouterr().err
    assert not (workdir / "victim.txt").exists()


def damaged(content: bytes) -> bytes:
    return content[: len(content) // 2]


def edited(content: bytes) -> bytes:
    """A hand edit that keeps the file valid JSON: one record's input digest changed."""
    assert b'"inputDigest": "' in content
    return content.replace(b'"inputDigest": "', b'"inputDigest": "0', 1)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda c: b"{not json", True),
        (lambda c: b"", True),
        (damaged, True),
        (edited, True),
        (lambda c: c.replace(FORMAT.encode(), b"paybill.dev/compile-cache/v0", 1), False),
        (lambda c: c.replace(b'"key":"', b'"key":"0', 1), False),
    ],
    ids=["not-json", "empty", "cut-short", "edited", "other-format", "other-key"],
)
def test_a_cache_damaged_edited_or_of_another_kind_is_ignored_and_written_again(
    workdir: Path,
    checked: list[str],
    capsys: pytest.CaptureFixture[str],
    change: Any,
    said: bool,
) -> None:
    cache = workdir / CACHE
    cache.write_bytes(change(cache.read_bytes()))
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert len(checked) == len(record_files(workdir / "generated"))  # nothing taken from it
    note = f"paybill: {CACHE} was damaged or edited; it is ignored and written again\n"
    assert (note in capsys.readouterr().err) == said
    checked.clear()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert checked == []
    assert capsys.readouterr().err == ""


def test_a_file_whose_stat_changed_is_hashed_again_and_its_kept_record_still_used(
    workdir: Path, checked: list[str]
) -> None:
    """Even a cache whose digest matches (written by a compile) vouches for a file only
    while the file has the stat it lists; the record it kept is tied to the file's bytes,
    so a digest that is not theirs costs work (the record is checked, the file written
    again) and never a wrong output."""
    path = workdir / CACHE
    header, index, records = read_cache(path)
    index["files"]["nodes/acl/acme.json"][1] += 1  # another modification time
    index["files"]["nodes/acl/globex.json"][4] = "0" * 64  # a digest the bytes do not have
    write_cache(path, header, index, records)
    globex = (workdir / "generated/nodes/acl/globex.json").read_bytes()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    # acme: hashed again, the same bytes, so the record kept is used; globex: checked.
    assert checked == ["nodes/acl/globex.json"]
    assert (workdir / "generated/nodes/acl/globex.json").read_bytes() == globex
    _, index, _ = read_cache(path)
    assert index["files"]["nodes/acl/globex.json"][4] == hashlib.sha256(globex).hexdigest()


def test_check_reads_every_record_whatever_the_cache_says(
    workdir: Path, checked: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / CACHE
    header, index, records = read_cache(path)
    lying = [r.replace(b'"inputDigest": "', b'"inputDigest": "0', 1) for r in records]
    assert lying != records
    write_cache(path, header, index, lying)  # a cache that lies, with a matching digest
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 0
    assert len(checked) == len(record_files(workdir / "generated"))
    assert path.read_bytes() == before  # --check writes no cache


def test_the_cache_names_the_code_and_the_folders(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = cache_key(Path("spec"), Path("generated"))
    assert read_cache(workdir / CACHE)[0]["key"] == key
    assert cache_key(Path("spec"), Path("other")) != key
    assert cache_key(workdir / "spec", workdir / "generated") == key
    package = tmp_path / "compiler"
    shutil.copytree(Path(cache_module.__file__).parents[1], package)
    first = cache_module.package_digest(package)
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__/x.pyc").write_bytes(b"bytecode")
    assert cache_module.package_digest(package) == first
    for changed in (next(package.rglob("*.j2")), package / "records.py"):
        changed.write_text(changed.read_text() + " ")
        assert cache_module.package_digest(package) != first
        first = cache_module.package_digest(package)


def test_older_caches_are_removed(workdir: Path) -> None:
    internal = workdir / "generated/.paybill"
    for name in ("disk.json", "records.json", "inputs.json"):
        (internal / name).write_text("{}")
    (workdir / "spec/tenants/acme.yaml").write_text(
        (workdir / "spec/tenants/acme.yaml").read_text() + "# touched\n"
    )
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert sorted(p.name for p in internal.iterdir()) == [".gitignore", "cache"]


def test_entries_no_compile_writes_cost_work_and_never_a_wrong_output(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache whose digest was made to match entries of the wrong shape (only a forger
    writes one) is used as far as it can be trusted: the compile is whole, and right."""
    monkeypatch.setattr(pipeline, "narrowed", scope.narrowed)  # tried first, as it is
    path = workdir / CACHE
    header, index, records = read_cache(path)
    files = index["files"]
    files["acl/acme.json"] = 5
    files["acl/globex.json"] = ["a", "b"]
    files["../outside.json"] = [0, 0, 0, 0, "0" * 64]
    write_cache(path, header, index, records)
    compiled = pipeline.compile_spec(Path("spec"), Path("generated"))
    assert compiled.incremental is None  # the output could not be vouched for by its stats
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 0
    _, index, _ = read_cache(path)
    assert "../outside.json" not in index["files"]
    assert len(index["files"]["acl/acme.json"]) == 5
