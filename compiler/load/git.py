"""Reading a spec folder as it is in another git revision (for `--base` comparisons).

The same rules as for a folder on disk (`compiler.load.walk`): only files inside the spec
folder are read, hidden ones are skipped, and a symlink is followed only to a spec file
inside the folder that is not read anyway; any other link, and a submodule, is reported.
Sizes come from the tree listing, so a file over the limit is never fetched, and every blob
is fetched by one `git cat-file --batch`.
"""

from __future__ import annotations

import posixpath
import subprocess
from dataclasses import dataclass
from pathlib import Path

from compiler.errors import Diagnostic, EnvironmentProblem, Location, UsageError
from compiler.load.discover import Content, Failure, LoadedSpec, load_contents
from compiler.load.limits import MAX_FILE_BYTES, MAX_RUN_BYTES, SEE_LIMITS
from compiler.load.walk import is_spec_name
from compiler.load.yaml_reader import too_large

_LINK = "120000"
_SUBMODULE = "commit"


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError as exc:
        raise EnvironmentProblem("git is not installed; --base needs it") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}")
    return done.stdout


@dataclass(frozen=True, slots=True)
class _Entry:
    mode: str
    kind: str  # blob | commit
    oid: str
    size: int


def load_revision(spec_dir: Path, revision: str) -> LoadedSpec | None:
    """The spec folder at `revision`, or None when the folder did not exist there yet."""
    folder = spec_dir.resolve()
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    except UsageError as exc:
        raise UsageError(
            f"--base {revision}: '{spec_dir}' is not in a git repository, and there is no "
            f"folder '{revision}' either"
        ) from exc
    try:
        _git(folder, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except UsageError as exc:
        raise UsageError(
            f"--base {revision}: neither a folder nor a git revision "
            "(fetch it first in a shallow clone, e.g. git fetch origin main)"
        ) from exc
    inside = folder.relative_to(top).as_posix()
    entries = _listing(top, revision, inside)
    if not entries:
        return None
    prefix = f"{revision}:{spec_dir.as_posix().rstrip('/')}"
    chosen, problems = _choose(top, entries, prefix)
    if not chosen and not problems:
        return None
    blobs = _fetch(top, [entry for entry in chosen.values() if isinstance(entry, _Entry)])
    contents: list[tuple[str, Content]] = [
        (relative, blobs[entry.oid] if isinstance(entry, _Entry) else entry)
        for relative, entry in sorted(chosen.items())
    ]
    loaded = load_contents(contents, prefix)
    return LoadedSpec(
        loaded.documents,
        loaded.digest,
        loaded.files,
        (*problems, *loaded.problems),
        loaded.unread,
        loaded.refused,
    )


def _listing(top: Path, revision: str, inside: str) -> dict[str, _Entry]:
    """Every entry under `inside` at `revision`, by path relative to it (hidden ones too:
    a link may lead into a hidden folder)."""
    raw = _git(top, "ls-tree", "-r", "-l", "-z", revision, "--", inside)
    entries = {}
    for line in raw.decode(errors="surrogateescape").split("\0"):
        if not line:
            continue
        meta, _, name = line.partition("\t")
        mode, kind, oid, size = meta.split()
        relative = name[len(inside) + 1 :] if inside != "." else name
        entries[relative] = _Entry(mode, kind, oid, int(size) if size.isdigit() else 0)
    return entries


def _choose(
    top: Path, entries: dict[str, _Entry], prefix: str
) -> tuple[dict[str, _Entry | Failure], list[Diagnostic]]:
    """relative path as read -> the blob it reads (or why not), and the problems."""
    chooser = _Chooser(entries, prefix)
    links = chooser.plain_files()
    texts = _fetch(top, list(links.values()))
    for relative, link in sorted(links.items()):
        text = texts[link.oid]
        chooser.follow(relative, None if isinstance(text, Failure) else _target(relative, text))
    return chooser.chosen, chooser.problems


class _Chooser:
    def __init__(self, entries: dict[str, _Entry], prefix: str) -> None:
        self.entries = entries
        self.prefix = prefix
        self.chosen: dict[str, _Entry | Failure] = {}
        self.read_as: dict[str, str] = {}  # path of a blob -> the relative path it is read as
        self.problems: list[Diagnostic] = []
        self.folders = _folders(entries)

    def problem(self, relative: str, message: str, hint: str) -> None:
        self.problems.append(Diagnostic(Location(f"{self.prefix}/{relative}"), message, hint=hint))

    def plain_files(self) -> dict[str, _Entry]:
        """Choose every visible spec file; report submodules; return the links."""
        links = {}
        for relative, entry in sorted(self.entries.items()):
            if _hidden(relative):
                continue
            if entry.kind == _SUBMODULE:
                self.problem(
                    relative,
                    "is a git submodule; the files of a submodule are not read",
                    "move its spec files into the spec folder",
                )
            elif entry.mode == _LINK:
                links[relative] = entry
            elif is_spec_name(relative.rsplit("/", 1)[-1]):
                self.chosen[relative] = _sized(entry)
                self.read_as[relative] = relative
        return links

    def follow(self, relative: str, target: str | None) -> None:
        """A link leading to `target` (None: outside the spec folder)."""
        entry = self.entries.get(target) if target is not None else None
        if target is None:
            self.problem(
                relative,
                "is a symlink to a path outside the spec folder; files outside it are never read",
                "copy the file into the spec folder, or remove the link",
            )
        elif entry is not None and entry.mode != _LINK:
            if is_spec_name(relative.rsplit("/", 1)[-1]):  # else, like README.md: not read
                self.file(relative, target, entry)
        elif target in self.folders:
            self.folder(relative, target)
        else:
            self.problem(
                relative,
                "is a symlink whose target does not exist in this revision (or is a link "
                "itself, which a revision does not follow)",
                "remove the link, or commit what it points to",
            )

    def file(self, relative: str, target: str, entry: _Entry) -> None:
        seen = self.read_as.get(target)
        if seen is not None:
            self.problem(
                relative,
                f"is a symlink to the file {self.prefix}/{seen}, which is read already; "
                "each file and folder is read once",
                "remove the link",
            )
            return
        self.chosen[relative] = _sized(entry)
        self.read_as[target] = relative

    def folder(self, relative: str, target: str) -> None:
        """Only a hidden folder is not read anyway; its links are not followed."""
        if not _hidden(target):
            shown = f"{self.prefix}/{target}" if target else self.prefix
            self.problem(
                relative,
                f"is a symlink to the folder {shown}, which is read already; each file and "
                "folder is read once",
                "remove the link",
            )
            return
        for path, entry in sorted(self.entries.items()):
            inner = path[len(target) + 1 :]
            if (
                path.startswith(target + "/")
                and not _hidden(inner)
                and entry.mode != _LINK
                and is_spec_name(path.rsplit("/", 1)[-1])
            ):
                self.chosen[f"{relative}/{inner}"] = _sized(entry)


def _hidden(relative: str) -> bool:
    return any(part.startswith(".") for part in relative.split("/"))


def _folders(entries: dict[str, _Entry]) -> set[str]:
    """Every folder that holds an entry, as a relative path ("" for the spec folder)."""
    out = {""}
    for relative in entries:
        parts = relative.split("/")[:-1]
        out.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return out


def _target(relative: str, text: bytes) -> str | None:
    """Where a link written as `text` leads, relative to the spec folder; None when that
    is outside it."""
    written = text.decode(errors="surrogateescape")
    if written.startswith("/"):
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(relative), written))
    if target == ".":
        return ""
    if target == ".." or target.startswith("../"):
        return None
    return target


def _sized(entry: _Entry) -> _Entry | Failure:
    if entry.size > MAX_FILE_BYTES:
        big = too_large("", entry.size)
        return Failure(big.message, big.hint, False, "the file is over the size limit")
    return entry


def _fetch(top: Path, entries: list[_Entry]) -> dict[str, bytes | Failure]:
    """The bytes of every blob, from one `git cat-file --batch`; blobs past the run's limit
    of bytes are not fetched (reading stops there anyway)."""
    wanted: list[str] = []
    total = 0
    for entry in entries:
        total += entry.size
        if total > MAX_RUN_BYTES:
            break
        wanted.append(entry.oid)
    out: dict[str, bytes | Failure] = {}
    if wanted:
        raw = _git(top, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in wanted).encode())
        position = 0
        for oid in wanted:
            header_end = raw.index(b"\n", position)
            size = int(raw[position:header_end].split()[2])
            start = header_end + 1
            out[oid] = raw[start : start + size]
            position = start + size + 1
    skipped = Failure(
        "was not read: the run's limit of bytes was reached",
        SEE_LIMITS,
        False,
        "the run's limits were reached before it was read",
    )
    for entry in entries:
        out.setdefault(entry.oid, skipped)
    return out
