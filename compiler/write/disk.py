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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from compiler.write.layout import DISK_CACHE, internal

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


def stat_key(path: str) -> Stat | None:
    """The stat key of the regular file at `path`, None when there is none."""
    return _stat(path)[0]


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Disk:
    """Digests of the files under one output folder (paths relative to it, POSIX)."""

    def __init__(self, out: Path, *, trust: bool, cached: bool = True) -> None:
        """`cached=False` (an incremental compile, which looks at a few files): start with
        no cache and never write one; what it learns is only for this run."""
        self.out = out
        self.root = str(out)
        self.trust = trust
        self._cache: dict[str, list[Any]] = self._load() if trust and cached else {}
        self._changed = False
        self._saved = cached

    def _load(self) -> dict[str, list[Any]]:
        """The cache: path -> [size, mtime_ns, ctime_ns, inode, sha256]."""
        try:
            data = orjson.loads((internal(self.out) / DISK_CACHE).read_bytes())
        except (OSError, ValueError):
            return {}  # no cache, or a damaged one: every file is hashed once
        if not isinstance(data, dict):
            return {}
        return {p: e for p, e in data.items() if isinstance(e, list) and len(e) == 5}

    def _path(self, path: str) -> str:
        return os.path.join(self.root, path)

    def sha256(self, path: str) -> str | None:
        """The file's SHA-256, or None when there is no regular file at `path`."""
        key, _ = _stat(self._path(path))
        if key is None:
            return None
        cached = self._cache.get(path)
        if cached is not None and cached[:4] == key and isinstance(cached[4], str):
            return cached[4]
        try:
            digest = sha256_of(self._path(path))
        except OSError:
            return None
        if self.trust:
            self._cache[path] = [*key, digest]
            self._changed = True
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

    def stat_of(self, path: str) -> list[int] | None:
        """The stat this run last saw `path` with, when it hashed or wrote it."""
        cached = self._cache.get(path)
        return cached[:4] if cached is not None else None

    def is_blocked(self, path: str) -> bool:
        """Whether something other than a regular file (a link, a folder) is at `path`."""
        return _stat(self._path(path))[1]

    def wrote(self, path: str, digest: str) -> None:
        key, _ = _stat(self._path(path))
        if key is not None and self.trust:
            self._cache[path] = [*key, digest]
            self._changed = True

    def removed(self, path: str) -> None:
        if self._cache.pop(path, None) is not None:
            self._changed = True

    def save(self) -> None:
        """Write the cache (only when it learned something, and never for `--check`)."""
        if not (self.trust and self._changed and self._saved):
            return
        save_cache(self.out, DISK_CACHE, orjson.dumps(self._cache))


def save_cache(out: Path, name: str, content: bytes) -> None:
    """Replace the cache file `name` in the output's `.paybill` folder with `content`, at
    once; a cache is a convenience: failing to write one is never an error."""
    folder = internal(out)
    if not folder.is_dir():
        return
    scratch = folder / f"{name}.{os.getpid()}"
    try:
        scratch.write_bytes(content)
        os.replace(scratch, folder / name)
    except OSError:
        scratch.unlink(missing_ok=True)


def all_unchanged(out: Path, stats: Mapping[str, Sequence[int]]) -> bool:
    """Whether every file of `stats` (path relative to `out` -> stat key) is still a regular
    file with that stat; nothing is read. One tight loop: a fleet's output has over 100,000
    files, and the system calls are most of the time."""
    root, lstat, regular = str(out) + os.sep, os.lstat, stat.S_ISREG
    for path, known in stats.items():
        try:
            found = lstat(root + path)
        except OSError:
            return False
        if not (
            regular(found.st_mode)
            and known[0] == found.st_size
            and known[1] == found.st_mtime_ns
            and known[2] == found.st_ctime_ns
            and known[3] == found.st_ino
        ):
            return False
    return True
