"""What changes between the output on disk and a compile's outputs; writing only that.

The writer takes each file as the compile builds it (`Writer.take`): it compares the file with
the one on disk (by digest, from the cache's stats when the file did not change), stages it
when it differs, and keeps only its digest, so a large fleet's output is never held in memory
whole. `Writer.finish` commits what was staged and removes what no compile produces any more.
Files of reused nodes (`Recorded`) were checked against the disk when they were offered for
reuse, so only files built now are compared. A file is removed only when a previous record
says the compiler wrote it; anything else in the folder is left, and reported by `--check`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from compiler.emit.artifact import Artifact, Output, Recorded
from compiler.records import MANIFEST_PATH, OUTPUT_FOLDERS, RECORDS_FOLDER
from compiler.write import journal
from compiler.write.cache import Cache
from compiler.write.disk import Disk
from compiler.write.folder import filesystem_problem
from compiler.write.layout import INTERNAL
from compiler.write.previous import Previous
from compiler.write.staging import Staging


@dataclass(frozen=True, order=True, slots=True)
class Difference:
    path: str
    change: str  # "added" | "changed" | "removed"

    def render(self) -> str:
        return f"  {self.change:8} {self.path}"


@dataclass
class Writer:
    """Brings the output folder to what a compile builds; with `check`, only says what
    differs (and also lists files that no record accounts for)."""

    previous: Previous
    disk: Disk
    cache: Cache | None = None  # keeps the records the compile built
    check: bool = False
    changes: list[Difference] = field(default_factory=list)
    _expected: set[str] = field(default_factory=set)
    _written: dict[str, str] = field(default_factory=dict)  # path -> digest, staged now
    _staging: Staging | None = None

    def take(self, output: Output) -> Output:
        """Compare one file of the compile with the disk, and stage it when it differs;
        what the compile keeps of it is its digest."""
        self._expected.add(output.path)
        if not isinstance(output, Artifact):
            return output
        path, digest = output.path, output.sha256
        if self.cache is not None and path.startswith(f"{RECORDS_FOLDER}/"):
            self.cache.keep_record(path, digest, output.content)
        found = self.disk.sha256(path)
        if found != digest:
            added = found is None and not self.disk.is_blocked(path)
            self.changes.append(Difference(path, "added" if added else "changed"))
            if not self.check:
                self._stage(path, output.content)
                self._written[path] = digest
        return Recorded(path, digest, output.size, output.node)

    def _stage(self, path: str, content: bytes) -> None:
        try:
            if self._staging is None:
                self._staging = Staging(self.previous.folder)
            self._staging.add(path, content)
        except OSError as exc:
            raise filesystem_problem(exc, self.previous.folder) from None

    def finish(self) -> list[Difference]:
        """Every difference, sorted; without `check`, written: staged files moved into place
        and files that no compile produces any more removed, all or nothing."""
        folder = self.previous.folder
        gone = self.previous.written - self._expected
        if self.check:
            gone |= set(present_files(folder)) - self._expected
        removed = [Difference(p, "removed") for p in gone if os.path.lexists(folder / p)]
        changes = sorted([*self.changes, *removed])
        if self.check or not changes:
            return changes
        removes = [c.path for c in removed]
        staging, self._staging = self._staging, None  # the journal's from here on
        try:
            journal.commit(folder, staging, removes)
        except OSError as exc:
            raise filesystem_problem(exc, folder) from None
        for path, digest in self._written.items():
            self.disk.wrote(path, digest)
        for path in removes:
            self.disk.removed(path)
        return changes

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None and self._staging is not None:
            self._staging.close()
            journal.discard(self.previous.folder)  # nothing was committed: forget it


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
