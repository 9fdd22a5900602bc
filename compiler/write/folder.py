"""Opening the output folder for a compile: the refusals, the lock, recovery of what a killed
compile left, and turning file-system trouble into messages people can act on."""

from __future__ import annotations

import contextlib
import errno
import shutil
from collections.abc import Iterator
from pathlib import Path

from compiler.errors import EnvironmentProblem
from compiler.write.guard import check_out, clean_legacy_swaps
from compiler.write.journal import recover
from compiler.write.layout import INTERNAL
from compiler.write.lock import locked

_NOT_A_FOLDER = "a file stands where a folder of the output path should be: choose another --out"
_ADVICE = {
    errno.ENOSPC: "free some space on that file system and compile again",
    errno.EDQUOT: "free some space (a disk quota is full) and compile again",
    errno.EROFS: "the file system is read-only: choose an --out on a writable one",
    errno.EACCES: "you may not write there: fix the folder's permissions or choose another --out",
    errno.EPERM: "you may not write there: fix the folder's permissions or choose another --out",
    errno.ENOTDIR: _NOT_A_FOLDER,
    errno.EEXIST: _NOT_A_FOLDER,
}


def filesystem_problem(exc: OSError, out: Path) -> EnvironmentProblem:
    """An OSError while writing `out`, as exit 3 with what happened and what to do."""
    where = f" ({exc.filename})" if exc.filename else ""
    advice = _ADVICE.get(exc.errno or 0, "check the folder and compile again")
    return EnvironmentProblem(
        f"cannot write the output into '{out}': {exc.strerror or exc}{where}; {advice}. "
        "The output was left as it was."
    )


@contextlib.contextmanager
def output_folder(
    out: Path, spec_dir: Path | None, *, check: bool, timeout: float
) -> Iterator[list[str]]:
    """The folder, checked, locked and recovered, for the block; yields notes for people.

    A compile creates the folder when it is missing, and removes it again when the compile
    fails before anything was written into it. `--check` creates nothing.
    """
    check_out(out, spec_dir)
    notes = [] if check else clean_legacy_swaps(out)
    created = False
    if not check and not out.exists():
        try:
            out.mkdir(parents=True)
        except OSError as exc:
            raise filesystem_problem(exc, out) from None
        created = True
    try:
        with locked(out, timeout) if out.is_dir() else contextlib.nullcontext():
            if recovered := recover(out):
                notes.append(recovered)
            yield notes
    except BaseException:
        if created and {p.name for p in out.iterdir()} <= {INTERNAL}:
            shutil.rmtree(out, ignore_errors=True)
        raise
