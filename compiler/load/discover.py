"""Finding and reading spec files: every *.yaml / *.yml under the folder, sorted by path.

Which files are read and what is refused is `compiler.load.walk`'s; how much a file and a
run may hold is `compiler.load.limits`'s.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from compiler.errors import Diagnostic, Location, SpecError, UsageError
from compiler.load.limits import MAX_ENTRIES, MAX_FILE_BYTES, SPLIT_HINT, Budget
from compiler.load.source import SourceDocument
from compiler.load.walk import SPEC_SUFFIXES, SpecFile, walk
from compiler.load.yaml_reader import Unread, read_file, too_large

__all__ = [
    "DEFAULT_SPEC",
    "SPEC_SUFFIXES",
    "FileFacts",
    "LoadedSpec",
    "Unread",
    "discover",
    "load_files",
    "load_read",
    "load_spec",
    "read_spec_file",
    "shown_prefix",
    "stat_of",
]

# Where a platform repository keeps its spec: the spec folder of every command by default.
DEFAULT_SPEC = "spec"

Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode of the file as it was read


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What one file that was read whole gave: its bytes' SHA-256, its stat when it was read
    (None for bytes that did not come from a file), and what it drew from the run's budget.
    An incremental compile knows an unchanged file by these, without reading it again."""

    relative: str
    sha256: str
    stat: Stat | None
    bytes: int
    documents: int
    values: int


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    """Every document of a spec folder, in file order, and a digest of the files' bytes.

    `problems` are files (or documents) that could not be read. They do not stop the
    loading of the others: the parser reports them together with what it finds in the
    documents that could be read, so one syntax error does not hide everything else.
    `unread` says which files may hold documents that were not read (so references to
    them cannot be checked), `refused` names documents that were written but refused whole.
    """

    documents: tuple[SourceDocument, ...]
    digest: str
    files: tuple[str, ...]
    problems: tuple[Diagnostic, ...] = ()
    unread: tuple[Unread, ...] = ()
    refused: frozenset[tuple[str, str]] = frozenset()
    facts: tuple[FileFacts, ...] = ()


def discover(root: Path) -> list[Path]:
    """Spec files under `root`, sorted by their path relative to it; hidden ones skipped."""
    _check_folder(root)
    return [root / found.relative for found in walk(str(root), root.as_posix()).files]


def _check_folder(root: Path) -> None:
    if not root.is_dir():
        raise UsageError(f"spec folder '{root}' does not exist or is not a folder")


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a file could not be read, as its diagnostic says it."""

    message: str
    hint: str
    environment: bool = True
    reason: str = "the file could not be read"


Content = bytes | Failure


class _Reader:
    """Reads files in order against one run's budget, collecting everything they give."""

    def __init__(self) -> None:
        self.budget = Budget()
        self.documents: list[SourceDocument] = []
        self.problems: list[Diagnostic] = []
        self.unread: list[Unread] = []
        self.refused: set[tuple[str, str]] = set()
        self.digest = hashlib.sha256()
        self.shown: list[str] = []
        self.facts: list[FileFacts] = []

    def add(self, relative: str, shown: str, content: Content, status: Stat | None = None) -> None:
        self.shown.append(shown)
        if self.budget.spent:
            self.unread.append(Unread(shown, "the run's limits were reached before it was read"))
            return
        if isinstance(content, Failure):
            self.problems.append(
                Diagnostic(
                    Location(shown),
                    content.message,
                    hint=content.hint,
                    environment=content.environment,
                )
            )
            self.unread.append(Unread(shown, content.reason))
            return
        if not self.budget.take_bytes(len(content)):
            self.problems.append(
                Diagnostic(
                    Location(shown),
                    f"{self.budget.spent}, over the limit for one run; this file and the "
                    "ones after it were not read",
                    hint=SPLIT_HINT,
                )
            )
            self.unread.append(Unread(shown, "the run's limits were reached before it was read"))
            return
        sha256 = hashlib.sha256(content)
        self.digest.update(relative.encode() + b"\0" + sha256.digest())
        documents, values = self.budget.documents, self.budget.values
        found = read_file(shown, content, self.budget)
        if not self.budget.spent:
            self.facts.append(
                FileFacts(
                    relative,
                    sha256.hexdigest(),
                    status,
                    len(content),
                    documents - self.budget.documents,
                    values - self.budget.values,
                )
            )
        self.documents.extend(found.documents)
        self.problems.extend(found.problems)
        self.refused |= found.refused
        if found.unread is not None:
            self.unread.append(found.unread)

    def result(self) -> LoadedSpec:
        return LoadedSpec(
            tuple(self.documents),
            self.digest.hexdigest(),
            tuple(self.shown),
            tuple(self.problems),
            tuple(self.unread),
            frozenset(self.refused),
            tuple(self.facts),
        )


def load_files(files: dict[str, bytes], prefix: str) -> LoadedSpec:
    """Read already-fetched files (path relative to the spec folder -> bytes).

    Used for git revisions and tests. Diagnostics show `prefix/relative`; the digest covers
    only relative paths and bytes, so it does not depend on where the folder lives.
    """
    return load_contents(sorted(files.items()), prefix)


def load_contents(files: Iterable[tuple[str, Content]], prefix: str) -> LoadedSpec:
    """Like `load_files`, in the order given, where a file may be the reason it could not
    be fetched instead of its bytes."""
    return load_read(((name, content, None) for name, content in files), prefix)


def load_read(files: Iterable[tuple[str, Content, Stat | None]], prefix: str) -> LoadedSpec:
    """Like `load_contents`, for files read from disk with their stat at reading."""
    reader = _Reader()
    collecting = gc.isenabled()
    # Reading builds many small objects and no reference cycles: the cyclic collector would
    # walk them again and again (most of the time of reading a large document) and free
    # nothing. Reference counting frees them as before.
    gc.disable()
    try:
        for name, content, status in files:
            reader.add(name, f"{prefix}/{name}" if prefix else name, content, status)
    finally:
        if collecting:
            gc.enable()
    return reader.result()


def shown_prefix(root: Path) -> str:
    """How messages show the spec folder: `prefix/relative/path`."""
    return root.as_posix().rstrip("/") or "/"


def stat_of(status: os.stat_result) -> Stat:
    """The stat a file is known by again: size, modification and change times, inode."""
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def load_spec(root: Path) -> LoadedSpec:
    """Read a spec folder. File names in diagnostics are shown as `root/relative/path`."""
    _check_folder(root)
    prefix = shown_prefix(root)
    found = walk(str(root), prefix)
    if found.too_many:
        raise SpecError(
            [
                Diagnostic(
                    Location(prefix),
                    f"the spec folder holds more than {MAX_ENTRIES:,} files, folders and "
                    "links; it was not read",
                    hint=SPLIT_HINT,
                )
            ]
        )
    if not found.files and not found.problems:
        raise UsageError(f"no *.yaml or *.yml files under '{root}'")
    loaded = load_read(((f.relative, *read_spec_file(f)) for f in found.files), prefix)
    return LoadedSpec(
        loaded.documents,
        loaded.digest,
        loaded.files,
        (*found.problems, *loaded.problems),
        (*found.unread, *loaded.unread),
        loaded.refused,
        loaded.facts,
    )


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)  # were it swapped for a named pipe, opening cannot block
    | getattr(os, "O_CLOEXEC", 0)
)


def read_spec_file(found: SpecFile) -> tuple[Content, Stat | None]:
    """The bytes of a regular file, read through one descriptor that is checked to be one,
    and its stat before reading (a later change changes it); or why it could not be read."""
    try:
        descriptor = os.open(found.real, _OPEN_FLAGS)
    except OSError as exc:
        return _cannot(exc), None
    with open(descriptor, "rb", closefd=True) as handle:
        try:
            status = os.fstat(descriptor)
        except OSError as exc:
            return _cannot(exc), None
        return _read(handle, status), stat_of(status)


def _read(handle: BinaryIO, status: os.stat_result) -> Content:
    if not stat.S_ISREG(status.st_mode):
        return Failure("is not a regular file", "move it out of the spec folder")
    if status.st_size > MAX_FILE_BYTES:
        big = too_large("", status.st_size)
        return Failure(big.message, big.hint, False, "the file is over the size limit")
    try:
        # As many bytes as the file has (asking for the limit would allocate it for every
        # file); when it has grown since, the rest up to one byte over the limit.
        data = handle.read(status.st_size + 1)
        if len(data) > status.st_size:
            data += handle.read(MAX_FILE_BYTES + 1 - len(data))
        return data
    except OSError as exc:
        return _cannot(exc)


def _cannot(exc: OSError) -> Content:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM):
        hint = (
            "make the file readable for the user running paybill (chmod u+r), or move it out "
            "of the spec folder"
        )
    elif exc.errno == errno.ELOOP:
        return Failure("was replaced by a symlink while being read", "run again")
    else:
        hint = "check the file and the file system it is on"
    return Failure(f"cannot read this file: {reason}", hint)
