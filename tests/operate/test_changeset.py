"""The change set against a git revision comes from git's own comparison of the working tree
(no record hashed that did not change), and equals the change set of comparing every record:
committed or not, staged or not, added, changed or deleted."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from compiler.operate.changeset import NodeChange, change_set
from compiler.operate.sources import FolderSource, GitSource, open_base
from compiler.records import read_records
from tests.operate.repo import TENANTS, Repository, tenant
from tests.support.tools import require_binary


def export(repo: Repository, revision: str, into: Path) -> Path:
    """The revision's generated/ as a folder."""
    archive = subprocess.run(
        ["git", "archive", revision, "generated"], cwd=repo.root, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "generated"


def summary(changes: dict[str, NodeChange]) -> dict[str, str]:
    return {node: change.change for node, change in changes.items()}


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    require_binary("git", "install git")
    tenants = {**TENANTS, "echo": tenant("echo", "free", subscription="trialing")}
    return Repository.create(tmp_path / "platform", tenants)


def test_git_says_what_differs_and_agrees_with_comparing_every_record(
    repo: Repository, tmp_path: Path
) -> None:
    base_folder = export(repo, "main", tmp_path / "base")
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))  # new records, untracked
    repo.edit("tenants/echo.yaml", "plan: free", "plan: starter")  # changed, then staged
    repo.edit("tenants/alpha.yaml", "state: active", "state: suspended")  # changed, unstaged
    assert repo.paybill("compile", "spec", "--out", "generated").code == 0
    repo.git("add", "generated/nodes/tenant/echo.json")
    generated = repo.root / "generated"
    (generated / "nodes/acl/bravo.json").unlink()  # deleted by hand
    records = read_records(generated)

    base = open_base("main", generated)
    assert isinstance(base, GitSource)
    told = base.changed_records(generated)
    assert told is not None
    assert "nodes/acl/bravo.json" in told
    assert "nodes/tenant/delta.json" in told
    assert "nodes/tenant/charlie.json" not in told  # unchanged: git did not list it
    by_git = change_set(base, FolderSource(generated), records)
    base.close()
    by_bytes = change_set(FolderSource(base_folder), FolderSource(generated), records)

    assert summary(by_git.changes) == summary(by_bytes.changes)
    assert by_git.downstream == by_bytes.downstream
    found = summary(by_git.changes)
    assert found["tenant:delta"] == "added"
    assert found["tenant:echo"] == found["tenant:alpha"] == "changed"
    assert found["acl:bravo"] == "removed"
    assert "tenant:charlie" not in found


def test_a_folder_outside_the_revisions_place_is_compared_record_by_record(
    repo: Repository, tmp_path: Path
) -> None:
    elsewhere = export(repo, "main", tmp_path / "copy")
    base = GitSource(repo.root, "main", "generated")
    assert base.changed_records(elsewhere) is None
    assert base.changed_records(repo.root) is None  # the repository, not its output folder
    changes = change_set(base, FolderSource(elsewhere), read_records(elsewhere))
    base.close()
    assert changes.changes == {}
