"""What changes between the output on disk and a compile's outputs; writing only that.

Files of reused nodes (`Recorded`) were checked against the disk when they were offered for
reuse, so only files built now are compared. A file is removed only when a previous record
says the compiler wrote it; anything else in the folder is left, and reported by `--check`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.emit.artifact import Artifact, Output
from compiler.records import MANIFEST_PATH, OUTPUT_FOLDERS
from compiler.write import journal
from compiler.write.disk import Disk
from compiler.write.folder import filesystem_problem
from compiler.write.layout import INTERNAL
from compiler.write.previous import Previous


@dataclass(frozen=True, order=True)
class Difference:
    path: str
    change: str  # "added" | "changed" | "removed"

    def render(self) -> str:
        return f"  {self.change:8} {self.path}"


def differences(
    outputs: Sequence[Output], previous: Previous, disk: Disk, *, everything: bool
) -> list[Difference]:
    """What differs. `everything` (`--check`) also lists files in the output folders that
    no record accounts for; a compile removes only what previous records list."""
    expected = {o.path for o in outputs}
    out = []
    for output in outputs:
        if not isinstance(output, Artifact):
            continue
        found = disk.sha256(output.path)
        if found is None:
            out.append(
                Difference(output.path, "changed" if disk.is_blocked(output.path) else "added")
            )
        elif found != output.sha256:
            out.append(Difference(output.path, "changed"))
    gone = previous.written - expected
    if everything:
        gone |= set(present_files(previous.folder)) - expected
    out.extend(Difference(p, "removed") for p in gone if os.path.lexists(previous.folder / p))
    return sorted(out)


def write(outputs: Sequence[Output], previous: Previous, disk: Disk) -> list[Difference]:
    """Bring the folder to `outputs`, writing and removing only what differs."""
    changes = differences(outputs, previous, disk, everything=False)
    if not changes:
        return changes
    built = {o.path: o for o in outputs if isinstance(o, Artifact)}
    writes = [(c.path, built[c.path].content) for c in changes if c.change != "removed"]
    removes = [c.path for c in changes if c.change == "removed"]
    try:
        journal.commit(previous.folder, writes, removes)
    except OSError as exc:
        raise filesystem_problem(exc, previous.folder) from None
    for path, _ in writes:
        disk.wrote(path, built[path].sha256)
    for path in removes:
        disk.removed(path)
    return changes


def present_files(folder: Path) -> list[str]:
    """Every file (or link) under the output folders, and the manifest, relative to
    `folder`; the writer's own `.paybill` folder and anything outside the output folders are
    not output."""
    out = [MANIFEST_PATH] if os.path.lexists(folder / MANIFEST_PATH) else []
    for top in sorted(OUTPUT_FOLDERS):
        base = folder / top
        if not base.is_dir() or base.is_symlink():
            continue
        for root, dirs, files in os.walk(base):
            dirs.sort()
            here = Path(root).relative_to(folder).as_posix()
            out.extend(f"{here}/{name}" for name in sorted(files))
            out.extend(
                f"{here}/{name}" for name in dirs if os.path.islink(os.path.join(root, name))
            )
    return [p for p in out if not p.startswith(INTERNAL)]
