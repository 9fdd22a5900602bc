"""Where a compiled output is read from: a folder on disk, or a git revision of one.

The change set compares two outputs node by node. Both kinds of source answer the same two
questions: which record files exist and an id of each one's bytes (git's blob id, so the two
kinds compare without reading what did not change), and the bytes of one file.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from compiler.errors import EnvironmentProblem, UsageError
from compiler.records import MANIFEST_PATH, RECORDS_FOLDER, record_files


def blob_id(content: bytes) -> str:
    """git's id of a file's bytes (`git hash-object`)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


class Source(Protocol):
    label: str

    def records(self) -> Mapping[str, str]:
        """Record path (relative to the output folder) -> id of its bytes."""
        ...

    def read(self, path: str) -> bytes | None:
        """A file's bytes (path relative to the output folder), or None when absent."""
        ...


@dataclass
class FolderSource:
    """An output folder on disk."""

    folder: Path
    label: str = ""
    _cache: dict[str, bytes] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.label = self.label or self.folder.as_posix()

    @property
    def where(self) -> dict[str, str]:
        """How `reopen` finds this source again (an apply of a saved plan)."""
        return {"folder": str(self.folder.resolve())}

    def records(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for path in record_files(self.folder):
            content = self.read(path)
            if content is not None:
                out[path] = blob_id(content)
        return out

    def read(self, path: str) -> bytes | None:
        if path not in self._cache:
            try:
                self._cache[path] = (self.folder / path).read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise EnvironmentProblem(
                    f"{self.folder / path} cannot be read ({exc.strerror})"
                ) from None
        return self._cache[path]


class GitSource:
    """An output folder as committed at a git revision; files are read through one
    `git cat-file --batch` process."""

    def __init__(self, repository: Path, revision: str, prefix: str) -> None:
        self.repository = repository
        self.revision = revision
        self.prefix = prefix.strip("/")
        self.label = f"{revision}:{self.prefix}" if self.prefix else revision
        self.where = {"repository": str(repository), "revision": revision, "prefix": self.prefix}
        self._ids: dict[str, str] | None = None
        self._batch: subprocess.Popen[bytes] | None = None

    def _git(self, *args: str) -> bytes:
        try:
            done = subprocess.run(
                ["git", "-C", str(self.repository), *args], capture_output=True, check=False
            )
        except FileNotFoundError:
            raise EnvironmentProblem(
                "git is not installed; install git to plan against a revision"
            ) from None
        if done.returncode != 0:
            reason = done.stderr.decode(errors="replace").strip().splitlines()
            said = reason[-1] if reason else "unknown error"
            raise UsageError(
                f"--base {self.revision}: git cannot read it ({said}); give a revision of this "
                "repository (e.g. origin/main) or a folder"
            )
        return done.stdout

    def _path(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def records(self) -> dict[str, str]:
        if self._ids is None:
            listing = self._git(
                "ls-tree", "-r", "-z", self.revision, "--", self._path(RECORDS_FOLDER)
            )
            ids = {}
            cut = len(self.prefix) + 1 if self.prefix else 0
            for entry in listing.split(b"\0"):
                if not entry:
                    continue
                meta, _, name = entry.partition(b"\t")
                path = name.decode()[cut:]
                if _is_record(path):
                    ids[path] = meta.split()[2].decode()
            self._ids = ids
        return self._ids

    def changed_records(self, folder: Path) -> list[str] | None:
        """The record files that differ between the revision and `folder`, when `folder` is
        this repository's working tree where the revision's output is (None otherwise): git
        tells them from its index, without reading or hashing the records that did not
        change. Committed or not, staged or not, new or deleted."""
        try:
            here = folder.resolve().relative_to(self.repository.resolve()).as_posix()
        except ValueError:
            return None
        if ("" if here == "." else here) != self.prefix:
            return None
        where = self._path(RECORDS_FOLDER)
        listed = self._git("diff", "--name-only", "-z", "--no-renames", self.revision, "--", where)
        # Files git does not track yet (a new node's record before `git add`), ignored or not.
        listed += self._git("ls-files", "-z", "--others", "--", where)
        cut = len(self.prefix) + 1 if self.prefix else 0
        paths = {name.decode()[cut:] for name in listed.split(b"\0") if name}
        return sorted(p for p in paths if _is_record(p))

    def read(self, path: str) -> bytes | None:
        batch = self._start()
        assert batch.stdin is not None
        assert batch.stdout is not None
        batch.stdin.write(f"{self.revision}:{self._path(path)}\n".encode())
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            return None  # "<object> missing"
        return batch.stdout.read(int(header[2]) + 1)[:-1]

    def _start(self) -> subprocess.Popen[bytes]:
        if self._batch is None:
            self._git("rev-parse", "--verify", "--quiet", f"{self.revision}^{{commit}}")
            self._batch = subprocess.Popen(
                ["git", "-C", str(self.repository), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self._batch

    def close(self) -> None:
        if self._batch is not None:
            if self._batch.stdin is not None:
                self._batch.stdin.close()
            self._batch.wait()
            if self._batch.stdout is not None:
                self._batch.stdout.close()
            self._batch = None


def _is_record(path: str) -> bool:
    """`nodes/<kind>/<name>.json`, relative to the output folder."""
    return path.startswith(f"{RECORDS_FOLDER}/") and path.endswith(".json") and path.count("/") == 2


def open_base(base: str, head: Path) -> FolderSource | GitSource:
    """`--base` as given: a folder holding an output (or `generated/` in it), else a git
    revision of the repository the head output is in."""
    folder = Path(base)
    if folder.is_dir():
        for candidate in (folder, folder / "generated"):
            if (candidate / MANIFEST_PATH).is_file():
                return FolderSource(candidate)
        raise UsageError(
            f"--base {base}: the folder holds no compiled output ({MANIFEST_PATH}, or "
            f"generated/{MANIFEST_PATH}); give an output folder or a git revision"
        )
    top = _toplevel(head)
    prefix = head.resolve().relative_to(top).as_posix()
    return GitSource(top, base, "" if prefix == "." else prefix)


def _toplevel(folder: Path) -> Path:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise EnvironmentProblem(
            "git is not installed; install git, or give --base a folder"
        ) from None
    if done.returncode != 0:
        raise UsageError(
            f"--base: {folder} is not inside a git repository, so a revision cannot be read; "
            "give --base a folder holding the base's compiled output instead"
        )
    return Path(done.stdout.strip())


def reopen(where: object) -> FolderSource | GitSource | None:
    """The source a plan was made against, from its `baseSource` (None when there was none
    or it is gone)."""
    if not isinstance(where, dict):
        return None
    if "folder" in where and Path(str(where["folder"])).is_dir():
        return FolderSource(Path(str(where["folder"])))
    if {"repository", "revision"} <= where.keys():
        return GitSource(
            Path(str(where["repository"])), str(where["revision"]), str(where.get("prefix", ""))
        )
    return None
