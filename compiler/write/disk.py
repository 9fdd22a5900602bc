"""What is on disk, cheaply: the digest of each output file, from the stats the cache keeps.

A recompile must not read ten thousand unchanged files to learn that they are unchanged.
Like git's index, the cache (`compiler.write.cache`) keeps each file's size, modification and
change times and inode next to its SHA-256; when a file's stat still matches, its digest is
taken from there, otherwise the file is read and hashed again. An edit changes the change
time even when it keeps the modification time, so a hand edit is always seen.

`--check` does not trust the cache: it hashes every file it compares, and keeps nothing.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from compiler.write.cache import FileEntry

Stat = list[int]  # size, mtime_ns, ctime_ns, inode (a list: as the cache stores it)


def _stat(path: str) -> tuple[Stat | None, bool]:
    """The stat key of a regular file (None when missing), and whether something that is
    not a regular file (a link, a folder) stands there instead."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None, False
    except NotADirectoryError:
        return None, True
    if not stat.S_ISREG(found.st_mode):
        return None, True
    return [found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino], False


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Disk:
    """Digests of the files under one output folder (paths relative to it, POSIX)."""

    def __init__(self, out: Path, files: dict[str, FileEntry] | None) -> None:
        """`files`: the cache's table of files, which this updates as it learns; None
        (`--check`): trust no stat, remember nothing."""
        self.out = out
        self.root = str(out)
        self.files = files

    def _path(self, path: str) -> str:
        return os.path.join(self.root, path)

    def sha256(self, path: str) -> str | None:
        """The file's SHA-256, or None when there is no regular file at `path`."""
        key, _ = _stat(self._path(path))
        if key is None:
            return None
        known = self.files.get(path) if self.files is not None else None
        if type(known) is list and len(known) == 5 and known[:4] == key:
            return str(known[4])
        try:
            digest = sha256_of(self._path(path))
        except OSError:
            return None
        if self.files is not None:
            self.files[path] = [*key, digest]
        return digest

    def content(self, path: str, sha256: str) -> bytes | None:
        """The file's bytes when they still have digest `sha256` (None otherwise): what a
        family reads of a file it takes from the previous output, checked as it is read."""
        try:
            with open(self._path(path), "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == sha256 else None

    def is_blocked(self, path: str) -> bool:
        """Whether something other than a regular file (a link, a folder) is at `path`."""
        return _stat(self._path(path))[1]

    def wrote(self, path: str, digest: str) -> None:
        if self.files is None:
            return
        key, _ = _stat(self._path(path))
        if key is None:
            self.files.pop(path, None)
        else:
            self.files[path] = [*key, digest]

    def removed(self, path: str) -> None:
        if self.files is not None:
            self.files.pop(path, None)


def all_unchanged(out: Path, files: Mapping[str, FileEntry]) -> bool:
    """Whether every file of `files` (path relative to `out` -> its entry) is still a
    regular file with the stat listed; nothing is read. One tight loop: a fleet's output has
    over 100,000 files, and the system calls are most of the time. (An entry that is not
    one, which no compile writes, makes the answer no.)"""
    root, lstat, regular = str(out) + os.sep, os.lstat, stat.S_ISREG
    try:
        for path, known in files.items():
            found = lstat(root + path)
            if not (
                regular(found.st_mode)
                and known[0] == found.st_size
                and known[1] == found.st_mtime_ns
                and known[2] == found.st_ctime_ns
                and known[3] == found.st_ino
            ):
                return False
    except (OSError, TypeError, IndexError, KeyError):
        return False
    return True
