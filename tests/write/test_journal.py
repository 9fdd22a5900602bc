"""The journal's moves: files into folders that exist, and whole new folders in one rename,
all or nothing. A write stopped at any rename is finished (or rolled back) by the next run,
and the folder is then exactly the old output or the new one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler.write import journal
from compiler.write.staging import Move, Staging

OLD = {
    "manifest.json": b"manifest v1\n",
    "acl/acme.json": b"acme v1\n",
    "acl/gone.json": b"removed by the write\n",
    "stacks/pool-eu/cdk.tf.json": b"pool v1\n",
}
NEW = {
    "acl/acme.json": b"acme v2\n",  # a file replaced
    "acl/nova.json": b"nova\n",  # a new file in a folder that exists
    "stacks/tenant-nova/cdk.tf.json": b"nova stack\n",  # a new folder
    "stacks/tenant-nova/.terraform.lock.hcl": b"lock\n",
    "sql/pool-eu/tenants/nova.sql": b"-- nova\n",  # a new top-level folder
}
EXPECTED = {**{p: c for p, c in OLD.items() if p != "acl/gone.json"}, **NEW}


class Killed(BaseException):
    """Stands for the process being killed: nothing after it runs."""


def tree(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".paybill" not in p.parts
    }


def prepared(out: Path) -> Staging:
    for path, content in OLD.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(content)
    staging = Staging(out)
    for path, content in NEW.items():
        staging.add(path, content)
    return staging


def test_new_folders_are_moved_whole(tmp_path: Path) -> None:
    staging = prepared(tmp_path)
    assert [m for m in staging.moves() if m.folder] == [
        Move("tree/stacks/tenant-nova", "stacks/tenant-nova", folder=True),
        Move("tree/sql", "sql", folder=True),
    ]
    assert sorted(m.path for m in staging.moves() if not m.folder) == [
        "acl/acme.json",
        "acl/nova.json",
    ]
    journal.commit(tmp_path, staging, ["acl/gone.json"])
    assert tree(tmp_path) == EXPECTED
    assert sorted(p.name for p in (tmp_path / ".paybill").iterdir()) == [".gitignore"]


def test_a_write_stopped_at_any_rename_is_finished_or_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.replace
    renames = 1 + len(prepared(tmp_path / "count").moves())  # the journal, then each move
    for stop in range(1, renames + 1):
        out = tmp_path / f"stop{stop}"
        staging = prepared(out)
        calls = [0]

        def replace(*args: object, calls: list[int] = calls, stop: int = stop) -> None:
            calls[0] += 1
            if calls[0] == stop:
                raise Killed
            real(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "replace", replace)
        with pytest.raises(Killed):
            journal.commit(out, staging, ["acl/gone.json"])
        monkeypatch.setattr(os, "replace", real)
        said = journal.recover(out)
        assert tree(out) == (OLD if stop == 1 else EXPECTED), stop
        if stop > 1:  # the journal was committed: the next run finishes the write
            assert said.startswith(f"finished writing {out}"), stop
        assert not (out / ".paybill/staging").exists()
        assert not (out / ".paybill/journal.json").exists()


def test_a_journal_naming_a_folder_outside_the_output_is_refused(tmp_path: Path) -> None:
    staging = prepared(tmp_path)
    (tmp_path / ".paybill/journal.json").write_bytes(
        b'{"moves": [], "folders": [["tree/sql", "../elsewhere"]], "removes": []}'
    )
    with pytest.raises(Exception, match="outside the output folders"):
        journal.recover(tmp_path)
    assert staging.root.exists()  # nothing was moved or removed
    assert tree(tmp_path) == OLD
