"""What in a spec folder is read, and what is refused with a message: symlinks, unreadable
folders and files, named pipes and sockets. Only files inside the spec folder are ever read."""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

import errno
import os
import socket
import threading
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.load import discover
from compiler.pipeline import validate
from tests.fixtures.specs import build, errors_of, expect

SECRET = "hunter2-do-not-print"
TOOL = "apiVersion: paybill.dev/v1\nkind: Tool\nmetadata: {name: %s}\nspec: {description: A tool, effect: read}\n"


@pytest.fixture
def outside(workdir: Path) -> Path:
    """A folder next to the spec, holding what a link must never read."""
    folder = workdir / "outside"
    folder.mkdir()
    (folder / "secret.yaml").write_text(f"password: {SECRET}\n")
    (folder / "notes.txt").write_text(f"{SECRET}\n")
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_link_to_a_file_outside_is_refused_and_never_read(
    workdir: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build(workdir)
    (root / "leak.yaml").symlink_to(outside / "secret.yaml")
    (root / "tenants" / "leak.yml").symlink_to("../../outside/secret.yaml")
    code, out, err = run(capsys, "validate", "spec")
    assert (code, out) == (1, "")
    assert (
        err
        == expect(
            "spec/leak.yaml: is a symlink to a file outside the spec folder; files outside it are never read (copy the file into the spec folder, or remove the link)",
            "spec/tenants/leak.yml: is a symlink to a file outside the spec folder; files outside it are never read (copy the file into the spec folder, or remove the link)",
        )
        + "\n"
    )
    assert SECRET not in err


def test_a_link_to_a_folder_outside_is_refused(workdir: Path, outside: Path) -> None:
    root = build(workdir)
    (root / "shared").symlink_to(outside, target_is_directory=True)
    (root / "parent").symlink_to("..", target_is_directory=True)
    assert errors_of(Path("spec")) == expect(
        "spec/parent: is a symlink to a folder outside the spec folder; files outside it are never read (copy the folder into the spec folder, or remove the link)",
        "spec/shared: is a symlink to a folder outside the spec folder; files outside it are never read (copy the folder into the spec folder, or remove the link)",
    )


def test_dangling_links_and_loops_are_reported(workdir: Path) -> None:
    root = build(workdir)
    (root / "gone.yaml").symlink_to("nowhere.yaml")
    (root / "gone-folder").symlink_to("no-such-folder", target_is_directory=True)
    (root / "loop.yaml").symlink_to("loop.yaml")
    assert errors_of(Path("spec")) == expect(
        "spec/gone-folder: is a symlink whose target does not exist (remove the link, or restore what it points to)",
        "spec/gone.yaml: is a symlink whose target does not exist (remove the link, or restore what it points to)",
        "spec/loop.yaml: is a symlink that leads back to itself (a loop) (remove the link)",
    )


def test_links_inside_the_folder_are_read_once(workdir: Path) -> None:
    """A link is followed when it leads to something not read anyway (here, under a hidden
    folder); a second way to the same file or folder, or a way back up, is an error."""
    root = build(
        workdir,
        files={".shared/tools/extra.yaml": TOOL % "extra", ".shared/one.yaml": TOOL % "one"},
    )
    (root / "more-tools").symlink_to(".shared/tools", target_is_directory=True)
    (root / "one.yaml").symlink_to(".shared/one.yaml")
    assert [
        p.relative_to(root).as_posix()
        for p in discover(root)
        if "tool" in p.relative_to(root).as_posix() or p.name == "one.yaml"
    ] == [
        "more-tools/extra.yaml",
        "one.yaml",
        "tools.yaml",
    ]
    spec = validate(root)
    assert [t.name for t in spec.tools] == ["email-send", "extra", "one", "refund-issue"]
    (root / "tenants" / "again").symlink_to("../tenants", target_is_directory=True)
    (root / "tools-again.yaml").symlink_to("tools.yaml")
    (root / "more-tools" / "up").symlink_to("..", target_is_directory=True)
    (root / "everything").symlink_to(".", target_is_directory=True)
    assert errors_of(Path("spec")) == expect(
        "spec/everything: is a symlink to the folder spec, which is read already; each file and folder is read once (remove the link)",
        "spec/more-tools/up: is a symlink to a folder that holds spec/more-tools, which is read already; each file and folder is read once (remove the link)",
        "spec/tenants/again: is a symlink to the folder spec/tenants, which is read already; each file and folder is read once (remove the link)",
        "spec/tools-again.yaml: is a symlink to the file spec/tools.yaml, which is read already; each file and folder is read once (remove the link)",
    )


def test_links_that_are_no_spec_files_are_ignored_like_other_files(
    workdir: Path, outside: Path
) -> None:
    root = build(workdir)
    (root / "NOTES.txt").symlink_to(outside / "notes.txt")
    (root / ".hidden.yaml").symlink_to(outside / "secret.yaml")
    validate(root)


def test_the_spec_folder_itself_may_be_a_link(workdir: Path) -> None:
    build(workdir, name="real-spec")
    (workdir / "spec").symlink_to("real-spec", target_is_directory=True)
    assert [t.name for t in validate(Path("spec")).tenants][:2] == ["alpha", "beta"]


def test_a_named_pipe_is_reported_and_never_opened(workdir: Path) -> None:
    """Opening a pipe for reading would block until a writer comes: the run must not."""
    root = build(workdir)
    os.mkfifo(root / "tenants" / "pipe.yaml")
    os.mkfifo(root / "fifo")
    (root / "pipe-link.yaml").symlink_to("tenants/pipe.yaml")
    result: dict[str, str] = {}
    reader = threading.Thread(target=lambda: result.update(err=errors_of(Path("spec"))))
    reader.daemon = True
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "validate blocked on a named pipe"
    assert result["err"] == expect(
        "spec/fifo: is a named pipe (FIFO); the spec folder may hold only files and folders (move it out of the spec folder)",
        "spec/pipe-link.yaml: leads to a named pipe (FIFO); the spec folder may hold only files and folders (move it out of the spec folder)",
        "spec/tenants/pipe.yaml: is a named pipe (FIFO); the spec folder may hold only files and folders (move it out of the spec folder)",
    )


def test_a_socket_is_reported_and_the_exit_code_is_3(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build(workdir)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(root / "agent.sock"))
        assert run(capsys, "validate", "spec") == (
            3,
            "",
            expect(
                "spec/agent.sock: is a socket; the spec folder may hold only files and folders (move it out of the spec folder)"
            )
            + "\n",
        )


def refuse(monkeypatch: pytest.MonkeyPatch, name: str, paths: set[str]) -> None:
    """Make `os.<name>` fail with EACCES for `paths` (the tests run as root, whom chmod
    does not stop)."""
    real = getattr(os, name)

    def denied(path: object, *args: object, **kwargs: object) -> object:
        if os.fspath(path) in paths:  # type: ignore[call-overload]
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))  # type: ignore[call-overload]
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, name, denied)


def test_an_unreadable_folder_is_exit_3_and_hides_no_reference(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chmod 000 spec/tenants` used to compile a platform without tenants."""
    root = build(workdir)
    refuse(monkeypatch, "scandir", {os.path.realpath(root / "tenants")})
    code, out, err = run(capsys, "validate", "spec")
    assert (code, out) == (3, "")
    assert (
        err
        == expect(
            "spec/tenants: cannot read this folder: Permission denied (make the folder readable for the user running paybill (chmod u+rx), or move it out of the spec folder)",
        )
        + "\n"
    )


def test_an_unreadable_file_is_exit_3(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build(workdir)
    refuse(monkeypatch, "open", {os.path.realpath(root / "tools.yaml")})
    code, out, err = run(capsys, "validate", "spec")
    assert (code, out) == (3, "")
    assert (
        err
        == expect(
            "spec/tools.yaml: cannot read this file: Permission denied (make the file readable for the user running paybill (chmod u+r), or move it out of the spec folder)",
            "spec/tools.yaml: the file could not be read, so references that may be to documents in it were not checked: tool 'refund-issue' of Workflow/refunds, tool 'email-send' of Workflow/reminders (fix it, then run again)",
        )
        + "\n"
    )


def test_a_folder_holding_only_problems_reports_them(workdir: Path) -> None:
    (workdir / "spec").mkdir()
    (workdir / "spec" / "broken.yaml").symlink_to("nowhere.yaml")
    assert errors_of(Path("spec")) == expect(
        "spec: no Platform document found (every spec has exactly one document of kind Platform)",
        "spec/broken.yaml: is a symlink whose target does not exist (remove the link, or restore what it points to)",
    )
