"""New file contents, staged under `<out>/.paybill/staging/` as the compile builds them.

Nothing in the output changes while files are staged: the journal (`compiler.write.journal`)
moves them into place once every file is staged, so a compile holds in memory the digest of
each file it built, not its bytes. A file whose folder does not exist in the output yet is
staged in a folder of the same shape, and the topmost missing folder is moved whole: one
rename for a new tenant's folder, a handful for a first compile, instead of one per file.
The files themselves are created by `compiler.write.new_files` (in batches, by threads
once the disk is slow); `moves` waits for every one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from compiler.records import OUTPUT_FOLDERS, safe_path
from compiler.write.layout import STAGING, ensure_internal
from compiler.write.new_files import NewFiles

TREE = "tree"  # the folder of the staging area that holds whole new folders


@dataclass(frozen=True, slots=True)
class Move:
    staged: str  # its name in the staging folder
    path: str  # where it goes, relative to the output folder
    folder: bool = False  # a whole folder, new in the output


def safe_move(move: Move) -> bool:
    """Whether the move stays inside the output folders (a folder move may be one of them)."""
    if not move.folder:
        return safe_path(move.path) is not None
    parts = move.path.split("/")
    return parts[0] in OUTPUT_FOLDERS and not any(p in ("", ".", "..") for p in parts)


class Staging:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.root = ensure_internal(out) / STAGING
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir()
        self.count = 0
        self._files: list[Move] = []
        self._folders: dict[str, Move] = {}  # topmost folder missing in the output -> move
        self._present: dict[str, bool] = {}  # folder of the output -> whether it exists
        self._made: set[str] = set()  # folders made under the staging tree
        self._new = NewFiles()  # creates the staged files

    def add(self, path: str, content: bytes) -> None:
        """Stage `content` for `path` (relative to the output folder)."""
        folder = self._missing_folder(path)
        if folder is None:
            name = str(len(self._files))
            self._files.append(Move(name, path))
        else:
            name = f"{TREE}/{path}"
            self._folders.setdefault(folder, Move(f"{TREE}/{folder}", folder, folder=True))
            self._make(os.path.dirname(name))
        self._new.add(os.path.join(self.root, name), content)
        self.count += 1

    def moves(self) -> list[Move]:
        """Whole folders first, then single files, in the order they were staged; once
        every file is written (or the first error raised)."""
        self._new.finish()
        return [*self._folders.values(), *self._files]

    def close(self) -> None:
        """Wait for the files being created (before the staging area is removed)."""
        self._new.close()

    def _missing_folder(self, path: str) -> str | None:
        """The topmost folder of `path` that the output does not have yet; None when it has
        them all (the file goes into a folder that exists)."""
        parts = path.split("/")
        for end in range(1, len(parts)):
            folder = "/".join(parts[:end])
            present = self._present.get(folder)
            if present is None:
                present = os.path.lexists(os.path.join(self.out, folder))
                self._present[folder] = present
            if not present:
                return folder
        return None

    def _make(self, folder: str) -> None:
        if folder not in self._made:
            os.makedirs(os.path.join(self.root, folder), exist_ok=True)
            self._made.add(folder)
