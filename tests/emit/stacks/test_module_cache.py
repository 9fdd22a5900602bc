"""Modules synthesized once are read back by their input digest (module_cache): a compile
into a new folder starts no node for a module any earlier compile made, and writes the same
bytes; an entry that is damaged, of another format or for another digest is never used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compiler.emit.stacks import module_cache, synth
from compiler.emit.stacks.module_cache import CachedModule
from compiler.emit.stacks.synth import ShapeBuild, ShapeJob
from compiler.pipeline import compile_spec
from tests.conftest import SPEC

DIGEST = "ab" + "0" * 62
MODULE = CachedModule(b'{"resource": {}}\n', b'{"module": {}}\n')


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "module-cache"
    monkeypatch.setenv(module_cache.CACHE_VARIABLE, str(folder))
    return folder


def entry(cache: Path, digest: str = DIGEST) -> Path:
    return cache / digest[:2] / f"{digest}.json"


def test_a_module_saved_is_read_back(cache: Path) -> None:
    assert module_cache.load(DIGEST) is None
    module_cache.save(DIGEST, MODULE)
    assert module_cache.load(DIGEST) == MODULE
    assert [p.name for p in entry(cache).parent.iterdir()] == [f"{DIGEST}.json"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: {**body, "module": body["module"] + " "},  # bytes not those recorded
        lambda body: {**body, "version": 99},  # another format
        lambda body: {**body, "digest": "cd" + "0" * 62},  # another digest's entry
        lambda body: {k: v for k, v in body.items() if k != "sha256"},
    ],
)
def test_an_entry_that_does_not_match_is_never_used(cache: Path, damage: object) -> None:
    module_cache.save(DIGEST, MODULE)
    body = json.loads(entry(cache).read_text())
    entry(cache).write_text(json.dumps(damage(body)))  # type: ignore[operator]
    assert module_cache.load(DIGEST) is None


def test_an_unreadable_entry_is_never_used(cache: Path) -> None:
    entry(cache).parent.mkdir(parents=True)
    entry(cache).write_bytes(b"\xff not json")
    assert module_cache.load(DIGEST) is None


@pytest.mark.parametrize("value", ["off", "", " "])
def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(module_cache.CACHE_VARIABLE, value)
    assert module_cache.folder() is None
    module_cache.save(DIGEST, MODULE)
    assert module_cache.load(DIGEST) is None


def test_by_default_it_is_the_users_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(module_cache.CACHE_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert module_cache.folder() == tmp_path / "paybill" / "modules"


@pytest.mark.parametrize("digest", ["../../etc/passwd", "ABCDEF0123", "ab", ""])
def test_only_a_hex_digest_names_an_entry(cache: Path, digest: str) -> None:
    module_cache.save(digest, MODULE)
    assert module_cache.load(digest) is None
    assert not cache.exists()


def test_a_cache_that_cannot_be_written_does_not_fail(tmp_path: Path, cache: Path) -> None:
    cache.write_text("a file where the folder should be")
    module_cache.save(DIGEST, MODULE)
    assert module_cache.load(DIGEST) is None


def never(job: ShapeJob) -> ShapeBuild:
    raise AssertionError(f"module {job.module} was synthesized: the cache had it")


def test_a_compile_into_a_new_folder_reads_the_modules_an_earlier_compile_made(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(synth.JOBS_VARIABLE, "1")
    spec = tmp_path / "spec"
    shutil.copytree(SPEC, spec)
    first = tmp_path / "first"
    compile_spec(spec, first)
    assert len(list(cache.glob("*/*.json"))) == 12  # spec/'s modules, one entry each
    monkeypatch.setattr(synth, "build", never)
    second = tmp_path / "second"
    compile_spec(spec, second)

    def files(folder: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and ".paybill" not in p.parts
        }

    assert files(second) == files(first)
