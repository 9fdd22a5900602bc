"""Writing changed files so that a crash at any moment leaves the old output or the new one.

1. Every new file's bytes go to `.paybill/staging/` (nothing in the output has changed).
2. The journal — which staged file goes where, which files go away — is written to a
   scratch name and renamed to `.paybill/journal.json`: that rename is the commit.
3. The staged files are renamed into place and the removed files deleted.
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
from dataclasses import dataclass
from pathlib import Path

import orjson

from compiler.errors import EnvironmentProblem
from compiler.records import safe_path
from compiler.write.layout import JOURNAL, STAGING, ensure_internal, internal


@dataclass(frozen=True)
class Move:
    staged: str  # name in the staging folder
    path: str  # where it goes, relative to the output folder


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


def commit(out: Path, writes: Sequence[tuple[str, bytes]], removes: Sequence[str]) -> None:
    """Write `writes` ((path, bytes)) and delete `removes`, all or nothing (see above)."""
    checked: set[Path] = set()
    for path in [p for p, _ in writes] + list(removes):  # refuse before anything changes
        if safe_path(path) is None:
            raise EnvironmentProblem(
                f"refusing to write or remove '{path}': it is not inside the output folders "
                f"of '{out}'; nothing was changed"
            )
        _real_parents(out, (out / path).parent, checked, create=False)
    folder = ensure_internal(out)
    staging = folder / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    moves = []
    try:
        for index, (path, content) in enumerate(writes):
            name = str(index)
            with (staging / name).open("xb") as handle:
                handle.write(content)
            moves.append(Move(name, path))
        _sync(staging, len(moves))
        scratch = folder / f"{JOURNAL}.new"
        data = {"moves": [[m.staged, m.path] for m in moves], "removes": list(removes)}
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


def _sync(staging: Path, count: int) -> None:
    """Make the staged bytes durable before the journal says to use them: one `sync` of the
    file system for a large write, each file for a few."""
    if count > 64:
        os.sync()
        return
    for entry in staging.iterdir():
        fd = os.open(entry, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _read(journal: Path) -> tuple[list[Move], list[str]]:
    try:
        data = orjson.loads(journal.read_bytes())
        moves = [Move(str(s), str(p)) for s, p in data["moves"]]
        removes = [str(p) for p in data["removes"]]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise EnvironmentProblem(
            f"{journal} cannot be read ({exc}); the output folder may be half written: "
            f"delete {journal.parent} and restore the output from version control"
        ) from None
    for path in [m.path for m in moves] + removes:
        if safe_path(path) is None:
            raise EnvironmentProblem(
                f"{journal} names '{path}', outside the output folders; delete {journal.parent} "
                "and restore the output from version control"
            )
    return moves, removes


def _apply(out: Path, moves: Iterable[Move], removes: Iterable[str]) -> None:
    staging = internal(out) / STAGING
    checked: set[Path] = set()
    for move in moves:
        source = staging / move.staged
        if not source.exists():
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
