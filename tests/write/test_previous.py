"""Reading back what the last compile wrote, defensively: paths that leave the folder, records
git could not merge, damaged records and manifests, and the single manifest of the older
layout are never a reason for a traceback, nor for touching a file outside the output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compiler.cli import main
from tests.conftest import SPEC
from tests.support.tools import REPO

V1 = REPO / "tests/fixtures/manifest-v1/manifest.json"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(SPEC, tmp_path / "spec")
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "spec", "--out", "generated"]) == 0
    shutil.copytree(
        tmp_path / "generated", tmp_path / "clean", ignore=shutil.ignore_patterns(".paybill")
    )
    return tmp_path


def output(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".paybill" not in p.parts
    }


def record(workdir: Path, node: str) -> Path:
    kind, name = node.split(":")
    return workdir / "generated/nodes" / kind / f"{name}.json"


@pytest.mark.parametrize(
    "path", ["../victim.txt", "/tmp/paybill-victim.txt", "stacks/../../victim.txt"]
)
def test_a_record_naming_a_path_outside_the_output_is_not_trusted(
    workdir: Path, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = workdir / "victim.txt" if not path.startswith("/") else Path(path)
    victim.write_text("keep me\n")
    try:
        target = record(workdir, "stack:tenant-acme")
        data = json.loads(target.read_bytes())
        data["artifacts"].append({"path": path, "sha256": "0" * 64, "bytes": 8})
        target.write_text(json.dumps(data))
        # The tenant is deleted, so the node and everything its record lists would go.
        capsys.readouterr()
        assert main(["compile", "spec", "--out", "generated"]) == 0
        assert victim.read_text() == "keep me\n"
        assert capsys.readouterr().err == (
            f"paybill: generated/nodes/stack/tenant-acme.json is damaged (artifact path "
            f"{path!r} is not inside the output folders); its node is built again\n"
        )
        assert output(workdir / "generated") == output(workdir / "clean")
    finally:
        victim.unlink()


def test_a_symbolic_link_inside_the_output_is_not_written_through(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = workdir / "outside"
    outside.mkdir()
    stacks = workdir / "generated/stacks/tenant-acme"
    shutil.rmtree(stacks)
    stacks.symlink_to(outside, target_is_directory=True)
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated"]) == 3
    assert capsys.readouterr().err == (
        f"paybill: '{stacks.relative_to(workdir)}' is a symbolic link; paybill writes only real "
        "folders under 'generated': remove the link and compile again\n"
    )
    assert list(outside.iterdir()) == []


def conflicted(text: str, ours: str, theirs: str) -> str:
    """`text` with one line as git leaves it when both sides changed it."""
    assert ours in text
    return text.replace(ours, f"<<<<<<< HEAD\n{ours}\n=======\n{theirs}\n>>>>>>> other", 1)


def test_records_with_conflict_markers_are_rebuilt_with_a_message(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = record(workdir, "tenant:initech")
    text = target.read_text()
    target.write_text(conflicted(text, '    "state": "active",', '    "state": "suspended",'))
    sql = workdir / "generated/sql/pool-eu-shared/tenants/initech.sql"
    sql.write_text(conflicted(sql.read_text(), "BEGIN;", "BEGIN; -- theirs"))
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 1
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == (
        "paybill: generated/nodes/tenant/initech.json had git conflict markers; its node is "
        "built again"
    )
    assert output(workdir / "generated") == output(workdir / "clean")


def test_a_record_of_a_removed_node_with_conflict_markers_still_has_its_files_removed(
    workdir: Path,
) -> None:
    """Both sides of the conflict name files the compiler wrote: they go with the node."""
    target = record(workdir, "stack:tenant-stark")
    target.write_text(conflicted(target.read_text(), '  "wave": 0', '  "wave": 1'))
    spec = workdir / "spec/tenants/stark.yaml"
    spec.write_text(
        spec.read_text().replace(
            "state: offboarding", "state: deleted\n  confirmDataDeletion: stark"
        )
    )
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert not (workdir / "generated/stacks/tenant-stark").exists()
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 0


@pytest.mark.parametrize(
    "content",
    [
        b"[]\n",
        b'{"schemaVersion": "paybill.dev/manifest/v1", "artifacts": "x", "tenants": 3}\n',
        b'{"schemaVersion": "paybill.dev/manifest/v1", "artifacts": [7, {"path": 1}], '
        b'"tenants": {"x": 1}}\n',
        b'{"schemaVersion": "paybill.dev/manifest/v9"}\n',
    ],
)
def test_a_structurally_wrong_previous_manifest_is_written_again(
    workdir: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "generated/manifest.json").write_bytes(content)
    capsys.readouterr()
    code = main(["compile", "spec", "--out", "generated"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if b"paybill.dev/manifest/" not in content:
        # Not recognisably paybill's: the folder may be someone else's.
        assert code == 2
        assert "holds no paybill manifest" in err
        return
    assert code == 0
    assert output(workdir / "generated") == output(workdir / "clean")


def test_the_single_manifest_of_the_older_layout_is_migrated(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output folder written by the previous version: one manifest listing every file.
    The files it lists that the current layout does not have are removed; nothing else."""
    out = workdir / "generated"
    shutil.rmtree(out / "nodes")
    legacy = json.loads(V1.read_bytes())
    legacy["artifacts"].append(
        {"path": "sql/pool-eu-shared/40-old.sql", "sha256": "0" * 64, "bytes": 1, "node": None}
    )
    (out / "sql/pool-eu-shared/40-old.sql").write_text("-- old\n")
    (out / "manifest.json").write_text(json.dumps(legacy))
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert capsys.readouterr().err == (
        "paybill: generated/manifest.json is from an older paybill (paybill.dev/manifest/v1); "
        "the output is written again in the current layout\n"
    )
    assert output(out) == output(workdir / "clean")
