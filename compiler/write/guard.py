"""What the writer refuses before it touches anything: an output folder that holds the spec,
a git repository, or lies inside the spec; a file where the folder should be; a folder of
someone else's files.

The writer only ever deletes what its own records say it wrote, so these refusals are the
second line: they stop a mistyped `--out` (`.`, `..`, the spec folder) before a single file
is read from it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from compiler.errors import EnvironmentProblem, UsageError
from compiler.records import MANIFEST_PATH, RECORDS_FOLDER
from compiler.write.layout import INTERNAL

_PAYBILL_MANIFEST = re.compile(rb'"schemaVersion"\s*:\s*"paybill\.dev/manifest/')


def check_out(out: Path, spec_dir: Path | None) -> None:
    """Refuse an `--out` that would put the spec, a repository or another tool's files at
    risk (exit 2, with what to choose instead)."""
    where = out.resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out '{out}' exists and is not a folder; choose a folder")
    if (out / ".git").exists():
        raise UsageError(
            f"--out '{out}' holds a git repository (.git); the output goes into a folder of "
            "its own, such as 'generated'"
        )
    if spec_dir is not None:
        spec = spec_dir.resolve()
        if where == spec or where in spec.parents:
            raise UsageError(
                f"--out '{out}' contains the spec folder '{spec_dir}'; the output goes into a "
                "folder of its own, such as 'generated'"
            )
        if spec in where.parents:
            raise UsageError(
                f"--out '{out}' is inside the spec folder '{spec_dir}'; its files would be read "
                "as spec files: choose a folder outside it"
            )
    if out.is_dir():
        _check_owner(out)


def _check_owner(out: Path) -> None:
    """A non-empty folder must be one this compiler wrote (it has a paybill manifest, or
    its records), so that nothing is written into another tool's folder."""
    entries = {p.name for p in out.iterdir()} - {INTERNAL}
    if not entries:
        return
    manifest = out / MANIFEST_PATH
    if manifest.is_file():
        try:
            content = manifest.read_bytes()
        except OSError as exc:
            raise EnvironmentProblem(
                f"{manifest} cannot be read ({exc.strerror}); check its permissions"
            ) from None
        if _PAYBILL_MANIFEST.search(content):
            return
    elif (out / RECORDS_FOLDER).is_dir():
        return
    raise UsageError(
        f"output folder '{out}' is not empty and holds no paybill manifest; refusing to write "
        "into a folder the compiler did not write (choose another --out, or restore "
        f"{MANIFEST_PATH} from version control)"
    )


_LEGACY = re.compile(r"^\.(?P<name>.+)\.(?P<what>new|old)-[A-Za-z0-9_]+$")


def clean_legacy_swaps(out: Path) -> list[str]:
    """Finish what an older writer, which swapped whole folders, left behind when it was
    killed: a missing output folder comes back from its `.<out>.old-*` copy, and leftover
    `.<out>.new-*` / `.<out>.old-*` folders beside it are removed. Returns what was done."""
    parent = out.resolve().parent
    if not parent.is_dir():
        return []
    found = sorted(
        p
        for p in parent.iterdir()
        if (m := _LEGACY.match(p.name)) and m["name"] == out.name and p.is_dir()
    )
    notes = []
    if not out.exists():
        olds = [p for p in found if ".old-" in p.name]
        if olds:
            try:
                os.rename(olds[-1], out)
                notes.append(f"restored '{out}' from {olds[-1].name}, left by a killed compile")
                found.remove(olds[-1])
            except OSError:
                pass  # another process restored it first
    for leftover in found:
        shutil.rmtree(leftover, ignore_errors=True)
        notes.append(f"removed {leftover.name}, left by a killed compile")
    return notes
