"""What the writer refuses before it reads or writes anything, and the modes it creates."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest

from compiler.cli import main
from tests.conftest import SPEC


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository-like folder: spec/, a .git folder and a notes file, as cwd."""
    shutil.copytree(SPEC, tmp_path / "spec")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "notes.txt").write_text("mine\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.mark.parametrize(
    ("out", "message"),
    [
        (
            ".",
            "paybill: --out '.' holds a git repository (.git); the output goes into a folder "
            "of its own, such as 'generated'\n",
        ),
        (
            "spec",
            "paybill: --out 'spec' contains the spec folder 'spec'; the output goes into a "
            "folder of its own, such as 'generated'\n",
        ),
        (
            "spec/out",
            "paybill: --out 'spec/out' is inside the spec folder 'spec'; its files would be "
            "read as spec files: choose a folder outside it\n",
        ),
        ("notes.txt", "paybill: --out 'notes.txt' exists and is not a folder; choose a folder\n"),
    ],
)
def test_an_out_that_would_put_the_repository_at_risk_is_refused(
    repo: Path, out: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = listing(repo)
    for check in ([], ["--check"]):
        assert main(["compile", "spec", "--out", out, *check]) == 2
        assert capsys.readouterr().err == message
    assert listing(repo) == before


def test_an_out_with_a_previous_manifest_at_the_repository_root_deletes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An earlier compile into the root left a manifest there: the root is still refused."""
    assert main(["compile", "spec", "--out", "elsewhere"]) == 0
    shutil.copy(repo / "elsewhere/manifest.json", repo / "manifest.json")
    before = listing(repo)
    assert main(["compile", "spec", "--out", "."]) == 2
    assert listing(repo) == before


def test_a_folder_of_someone_elses_files_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = repo / "site"
    site.mkdir()
    (site / "manifest.json").write_text('{"name": "my web app", "icons": []}\n')
    assert main(["compile", "spec", "--out", "site"]) == 2
    assert capsys.readouterr().err == (
        "paybill: output folder 'site' is not empty and holds no paybill manifest; refusing to "
        "write into a folder the compiler did not write (choose another --out, or restore "
        "manifest.json from version control)\n"
    )
    assert listing(site) == ["manifest.json"]


def test_an_out_under_a_file_is_an_environment_problem(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", "spec", "--out", "notes.txt/generated"]) == 3
    assert capsys.readouterr().err == (
        "paybill: cannot write the output into 'notes.txt/generated': Not a directory "
        "(notes.txt/generated); a file stands where a folder of the output path should be: "
        "choose another --out. The output was left as it was.\n"
    )


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (
            errno.EACCES,
            "you may not write there: fix the folder's permissions or choose another --out",
        ),
        (errno.EROFS, "the file system is read-only: choose an --out on a writable one"),
        (errno.ENOSPC, "free some space on that file system and compile again"),
    ],
)
def test_an_unwritable_out_is_an_environment_problem(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: int,
    advice: str,
) -> None:
    """Whatever the file system refuses (this runs as root too, so the refusal is made)."""

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(error, os.strerror(error), str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main(["compile", "spec", "--out", "generated"]) == 3
    assert capsys.readouterr().err == (
        f"paybill: cannot write the output into 'generated': {os.strerror(error)} "
        f"(generated); {advice}. The output was left as it was.\n"
    )
    assert not (repo / "generated").exists()


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_folder_and_file_modes_follow_the_umask(repo: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        assert main(["compile", "spec", "--out", "generated"]) == 0
    finally:
        os.umask(old)
    out = repo / "generated"
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        wanted = (0o777 if path.is_dir() else 0o666) & ~umask
        assert mode == wanted, (path, oct(mode), oct(wanted))


def test_folders_an_older_writer_left_behind_are_cleaned_up(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The previous writer swapped whole folders; killed between its two renames it left no
    output folder, only `.generated.old-*` (the last output) and `.generated.new-*`."""
    assert main(["compile", "spec", "--out", "generated"]) == 0
    expected = listing(repo / "generated")
    (repo / "generated").rename(repo / ".generated.old-k2j4")
    (repo / ".generated.new-x9z1" / "stacks").mkdir(parents=True)
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert capsys.readouterr().err == (
        "paybill: restored 'generated' from .generated.old-k2j4, left by a killed compile\n"
        "paybill: removed .generated.new-x9z1, left by a killed compile\n"
    )
    assert listing(repo / "generated") == expected
    assert sorted(p.name for p in repo.iterdir()) == [".git", "generated", "notes.txt", "spec"]
