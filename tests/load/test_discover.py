"""Finding spec files: recursive, sorted, *.yaml and *.yml, hidden files and folders skipped."""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from compiler.errors import UsageError
from compiler.load import discover, load_spec
from compiler.load.git import load_revision
from compiler.load.limits import MAX_FILE_BYTES
from tests.fixtures.specs import BASE, build
from tests.support.tools import require_binary

TOOL = "apiVersion: paybill.dev/v1\nkind: Tool\nmetadata: {name: %s}\nspec: {description: A tool, effect: read}\n"


def test_discovery_order_and_filters(workdir: Path) -> None:
    root = build(
        workdir,
        files={
            "b/z.yml": "# counted: .yml is a spec file too\n",
            "b/a.yaml": "# counted\n",
            "notes.md": "not YAML",
            "schema.json": "{}",
            ".hidden/x.yaml": "# skipped: hidden folder\n",
            "tenants/.draft.yaml": "# skipped: hidden file\n",
        },
    )
    found = [p.relative_to(root).as_posix() for p in discover(root)]
    assert found == [
        "agents.yaml",
        "b/a.yaml",
        "b/z.yml",
        "plans.yaml",
        "platform.yaml",
        "schema.yaml",
        "tenants/alpha.yaml",
        "tenants/beta.yaml",
        "tenants/delta.yaml",
        "tenants/eta.yaml",
        "tenants/gamma.yaml",
        "tenants/omega.yaml",
        "tenants/zeta.yaml",
        "tools.yaml",
        "workflows.yaml",
    ]


def test_documents_come_in_file_order(workdir: Path) -> None:
    build(workdir)
    loaded = load_spec(Path("spec"))
    assert loaded.files[:3] == ("spec/agents.yaml", "spec/plans.yaml", "spec/platform.yaml")
    labels = [d.label for d in loaded.documents]
    assert labels[:7] == [
        "Agent/collector",
        "Agent/refunder",
        "Plan/trial",
        "Plan/basic",
        "Plan/pro",
        "Plan/enterprise",
        "Platform/fixture",
    ]


def test_digest_depends_on_content_not_location(workdir: Path) -> None:
    first = load_spec(build(workdir, name="one"))
    second = load_spec(build(workdir, name="two"))
    assert first.digest == second.digest
    (workdir / "two" / "tools.yaml").write_text(
        (workdir / "two" / "tools.yaml").read_text() + "# a comment changes the bytes\n"
    )
    assert load_spec(workdir / "two").digest != first.digest


def test_missing_and_empty_folders(workdir: Path) -> None:
    with pytest.raises(UsageError) as missing:
        load_spec(Path("nowhere"))
    assert str(missing.value) == "spec folder 'nowhere' does not exist or is not a folder"
    (workdir / "empty" / "sub").mkdir(parents=True)
    (workdir / "empty" / "sub" / "README.md").write_text("nothing here")
    with pytest.raises(UsageError) as empty:
        load_spec(Path("empty"))
    assert str(empty.value) == "no *.yaml or *.yml files under 'empty'"


def test_git_revision(workdir: Path) -> None:
    """A folder as it was in a revision; None when it did not exist there yet."""
    git = require_binary("git", "install git (apt-get install git)")

    def run(*args: str) -> None:
        subprocess.run(
            [git, "-c", "user.name=Reviewer", "-c", "user.email=reviewer@example.invalid",
             "-c", "commit.gpgsign=false", *args],
            cwd=workdir, check=True, capture_output=True,
        )  # fmt: skip

    run("init", "--quiet")
    (workdir / "README.md").write_text("first commit: no spec yet\n")
    run("add", "README.md")
    run("commit", "--quiet", "-m", "no spec")
    shutil.copytree(BASE, workdir / "platform" / "spec")
    (workdir / "platform" / "spec" / ".hidden.yaml").write_text("# skipped\n")
    assert load_revision(Path("platform/spec"), "HEAD") is None
    run("add", "platform")
    run("commit", "--quiet", "-m", "spec")
    (workdir / "platform" / "spec" / "tools.yaml").unlink()  # not committed: not seen
    at_head = load_revision(Path("platform/spec"), "HEAD")
    assert at_head is not None
    assert at_head.files == tuple(
        f"HEAD:platform/spec/{p.relative_to(BASE).as_posix()}"
        for p in sorted(BASE.rglob("*.yaml"), key=lambda p: p.relative_to(BASE).as_posix())
    )
    assert at_head.digest == load_spec(BASE).digest
    with pytest.raises(UsageError) as unknown:
        load_revision(Path("platform/spec"), "no-such-branch")
    assert str(unknown.value) == (
        "--base no-such-branch: neither a folder nor a git revision "
        "(fetch it first in a shallow clone, e.g. git fetch origin main)"
    )


def test_not_in_a_git_repository(workdir: Path) -> None:
    build(workdir)
    with pytest.raises(UsageError) as outside:
        load_revision(Path("spec"), "main")
    assert str(outside.value) == (
        "--base main: 'spec' is not in a git repository, and there is no folder 'main' either"
    )


def test_git_revision_follows_links_as_a_folder_does(workdir: Path) -> None:
    """In a revision too: a link to a file outside the spec folder is refused, one to a file
    inside that is not read anyway is read, a second way to a file is refused, and a file
    over the size limit is never fetched."""
    git = require_binary("git", "install git (apt-get install git)")

    def run(*args: str) -> None:
        subprocess.run(
            [git, "-c", "user.name=Reviewer", "-c", "user.email=reviewer@example.invalid",
             "-c", "commit.gpgsign=false", *args],
            cwd=workdir, check=True, capture_output=True,
        )  # fmt: skip

    run("init", "--quiet")
    root = build(workdir, files={".shared/extra-tools.yaml": TOOL % "extra"})
    (workdir / "secret.yaml").write_text("password: hunter2\n")
    (root / "leak.yaml").symlink_to("../secret.yaml")
    (root / "extra.yaml").symlink_to(".shared/extra-tools.yaml")
    (root / "twice.yaml").symlink_to("tools.yaml")
    (root / "huge.yaml").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    run("add", "-A")
    run("commit", "--quiet", "-m", "spec with links")
    loaded = load_revision(Path("spec"), "HEAD")
    assert loaded is not None
    assert "hunter2" not in repr(loaded)
    assert [d.render() for d in loaded.problems] == [
        "HEAD:spec/leak.yaml: is a symlink to a path outside the spec folder; files outside it are never read (copy the file into the spec folder, or remove the link)",
        "HEAD:spec/twice.yaml: is a symlink to the file HEAD:spec/tools.yaml, which is read already; each file and folder is read once (remove the link)",
        "HEAD:spec/huge.yaml: file is 8,388,609 bytes, over the limit of 8,388,608 bytes (8 MiB) for one spec file (split it into several files; every *.yaml under the spec folder is read)",
    ]
    assert "Tool/extra" in [d.label for d in loaded.documents]
