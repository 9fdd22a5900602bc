"""What is on disk, cheaply: the digest of each output file, from a cache of file stats.

A recompile must not read ten thousand unchanged files to learn that they are unchanged.
Like git's index, `disk.json` keeps each file's size, modification and change times and
inode next to its SHA-256; when a file's stat still matches, its digest is taken from the
cache, otherwise the file is read and hashed again. An edit changes the change time even
when it keeps the modification time, so a hand edit is always seen.

`--check` does not trust the cache (`trust=False`): it hashes every file it compares, and
never writes the cache.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import orjson

from compiler.write.layout import DISK_CACHE, internal

Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def _stat(path: Path) -> tuple[Stat | None, bool]:
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
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino), False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Disk:
    """Digests of the files under one output folder."""

    def __init__(self, out: Path, *, trust: bool) -> None:
        self.out = out
        self.trust = trust
        self._cache: dict[str, tuple[Stat, str]] = self._load() if trust else {}
        self._changed = False

    def _load(self) -> dict[str, tuple[Stat, str]]:
        try:
            data = orjson.loads((internal(self.out) / DISK_CACHE).read_bytes())
            return {
                str(path): ((int(e[0]), int(e[1]), int(e[2]), int(e[3])), str(e[4]))
                for path, e in data.items()
            }
        except (OSError, ValueError, TypeError, IndexError, AttributeError):
            return {}  # no cache, or a damaged one: every file is hashed once

    def sha256(self, path: str) -> str | None:
        """The file's SHA-256, or None when there is no regular file at `path`."""
        key, _ = _stat(self.out / path)
        if key is None:
            return None
        cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            digest = sha256_of(self.out / path)
        except OSError:
            return None
        if self.trust:
            self._cache[path] = (key, digest)
            self._changed = True
        return digest

    def is_blocked(self, path: str) -> bool:
        """Whether something other than a regular file (a link, a folder) is at `path`."""
        return _stat(self.out / path)[1]

    def wrote(self, path: str, digest: str) -> None:
        key, _ = _stat(self.out / path)
        if key is not None and self.trust:
            self._cache[path] = (key, digest)
            self._changed = True

    def removed(self, path: str) -> None:
        if self._cache.pop(path, None) is not None:
            self._changed = True

    def save(self) -> None:
        """Write the cache (only when it learned something, and never for `--check`)."""
        if not (self.trust and self._changed):
            return
        folder = internal(self.out)
        if not folder.is_dir():
            return
        data = {path: [*key, digest] for path, (key, digest) in sorted(self._cache.items())}
        scratch = folder / f"{DISK_CACHE}.{os.getpid()}"
        try:
            scratch.write_bytes(orjson.dumps(data))
            os.replace(scratch, folder / DISK_CACHE)
        except OSError:
            scratch.unlink(missing_ok=True)  # a cache is a convenience: never fail for it
