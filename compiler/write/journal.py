"""Writing changed files so that a crash at any moment leaves the old output or the new one.

1. Every new file's bytes go to `.paybill/staging/` as the compile builds them
   (`compiler.write.staging`; nothing in the output has changed).
2. The journal — which staged file or new folder goes where, which files go away — is
   written to a scratch name and renamed to `.paybill/journal.json`: that rename is the
   commit.
3. The staged files and folders are renamed into place and the removed files deleted.
4. The journal and the staging folder are removed.

A run that finds a journal finishes step 3 (every step of it can be done twice); one that
finds a staging folder without a journal removes it. Either way the folder is exactly one
complete compile, and only files that changed were touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson

from compiler.errors import EnvironmentProblem
from compiler.write.layout import JOURNAL, STAGING, ensure_internal, internal
from compiler.write.staging import Move, Staging, safe_move


def recover(out: Path) -> str:
    """Finish or roll back a write that did not complete; '' when there was none, else what
    was done, for people."""
    folder = internal(out)
    journal = folder / JOURNAL
    if journal.is_file():
        moves, removes = _read(journal)
        _apply(out, moves, removes)
        _cleanup(folder)
        return (
            f"finished writing {out}: the previous compile was interrupted after it had "
            "prepared every file"
        )
    staging = folder / STAGING
    if staging.exists():
        _cleanup(folder)
        return f"rolled back an interrupted compile in {out}: its output was left as it was"
    return ""


def commit(out: Path, staging: Staging | None, removes: Sequence[str]) -> None:
    """Move what `staging` holds into place and delete `removes`, all or nothing (see
    above)."""
    try:
        moves = staging.moves() if staging is not None else []  # every staged file written
    except BaseException:
        discard(out)
        raise
    checked: set[Path] = set()
    for move in [*moves, *(Move("", p) for p in removes)]:  # refuse before anything changes
        if not safe_move(move):
            raise EnvironmentProblem(
                f"refusing to write or remove '{move.path}': it is not inside the output "
                f"folders of '{out}'; nothing was changed"
            )
        _real_parents(out, (out / move.path).parent, checked, create=False)
    folder = ensure_internal(out)
    try:
        if staging is not None:
            _sync(staging.root, staging.count)
        scratch = folder / f"{JOURNAL}.new"
        data = {
            "moves": [[m.staged, m.path] for m in moves if not m.folder],
            "folders": [[m.staged, m.path] for m in moves if m.folder],
            "removes": list(removes),
        }
        with scratch.open("wb") as handle:
            handle.write(orjson.dumps(data))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(scratch, folder / JOURNAL)  # the commit
    except BaseException:
        _cleanup(folder)
        raise
    _apply(out, moves, removes)
    _cleanup(folder)


def discard(out: Path) -> None:
    """Forget what was staged (the compile failed before its commit)."""
    _cleanup(internal(out))


def _sync(staging: Path, count: int) -> None:
    """Make the staged bytes durable before the journal says to use them: one `sync` of the
    file system for a large write, each file for a few."""
    if count > 64:
        os.sync()
        return
    for root, _, names in os.walk(staging):
        for name in names:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _read(journal: Path) -> tuple[list[Move], list[str]]:
    try:
        data = orjson.loads(journal.read_bytes())
        moves = [Move(str(s), str(p), folder=True) for s, p in data.get("folders", [])]
        moves += [Move(str(s), str(p)) for s, p in data["moves"]]
        removes = [str(p) for p in data["removes"]]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise EnvironmentProblem(
            f"{journal} cannot be read ({exc}); the output folder may be half written: "
            f"delete {journal.parent} and restore the output from version control"
        ) from None
    for move in [*moves, *(Move("", p) for p in removes)]:
        if not safe_move(move):
            raise EnvironmentProblem(
                f"{journal} names '{move.path}', outside the output folders; delete "
                f"{journal.parent} and restore the output from version control"
            )
    return moves, removes


def _apply(out: Path, moves: Iterable[Move], removes: Iterable[str]) -> None:
    staging = internal(out) / STAGING
    checked: set[Path] = set()
    for move in moves:
        source = staging / move.staged
        if not os.path.lexists(source):
            continue  # moved by an earlier, interrupted run
        target = out / move.path
        _real_parents(out, target.parent, checked)
        os.replace(source, target)
    for path in removes:
        target = out / path
        _real_parents(out, target.parent, checked, create=False)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        _prune(out, target.parent)


def _real_parents(out: Path, folder: Path, checked: set[Path], *, create: bool = True) -> None:
    """Make sure `folder` is a real folder under `out`, no part of it a symbolic link (which
    could carry a write outside the output), creating what is missing."""
    if folder in checked or folder == out:
        return
    _real_parents(out, folder.parent, checked, create=create)
    if folder.is_symlink():
        raise EnvironmentProblem(
            f"'{folder}' is a symbolic link; paybill writes only real folders under '{out}': "
            "remove the link and compile again"
        )
    if create:
        folder.mkdir(exist_ok=True)  # mode 0777 less the umask, like any new folder
    checked.add(folder)


def _prune(out: Path, folder: Path) -> None:
    """Remove folders that the removals left empty, up to the output folders themselves."""
    while out not in (folder, folder.parent):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _cleanup(folder: Path) -> None:
    shutil.rmtree(folder / STAGING, ignore_errors=True)
    for name in (JOURNAL, f"{JOURNAL}.new"):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
