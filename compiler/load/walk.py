"""Which files of a spec folder are read, and what in it is refused.

Only files inside the spec folder are ever read. Every `*.yaml` and `*.yml` file is read,
recursively; hidden files and folders (`.git`, `.draft.yaml`) are skipped. Anything else
that would make the spec differ from what is in the folder is reported, never skipped:

* a symlink is followed only when its target is inside the spec folder and is not read
  anyway under its own name: a link leading outside (to a file or a folder), a dangling
  link, a link loop, and a link to a file or folder that is read already (a folder above
  the link included) are errors. So no file is read twice and no walk can loop;
* a folder or file that cannot be read (permissions, I/O) is an error of the environment;
* named pipes, sockets and devices are errors of the environment, and are never opened (a
  pipe would block the run).

Links that do not look like spec files (`README.md -> ../README.md`) are not read, like any
other file that is not `*.yaml`.
"""

from __future__ import annotations

import errno
import heapq
import os
import stat
from dataclasses import dataclass, field

from compiler.errors import Diagnostic, Location
from compiler.load.limits import MAX_ENTRIES
from compiler.load.yaml_reader import Unread

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True, order=True)
class SpecFile:
    """A file to read: `relative` is its path under the spec folder as messages show it (a
    link's own path), `real` the path to open (a link's target, resolved)."""

    relative: str
    real: str


@dataclass
class Walk:
    files: list[SpecFile] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)
    too_many: bool = False


class _TooMany(Exception):
    pass


def _relative(found: SpecFile) -> str:
    return found.relative


def is_spec_name(name: str) -> bool:
    return name.endswith(SPEC_SUFFIXES) and not name.startswith(".")


def walk(root: str, shown: str) -> Walk:
    """Every spec file under `root` (an existing folder), sorted; `shown` is how messages
    name the folder (`spec`)."""
    return _Walker(root, shown).run()


class _Walker:
    def __init__(self, root: str, shown: str) -> None:
        self.real_root = os.path.realpath(root)
        self.shown = shown
        self.out = Walk()
        self.entries = 0
        # real path -> the relative path it is read as ("" for the spec folder itself)
        self.folders: dict[str, str] = {self.real_root: ""}
        self.file_paths: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []  # (relative, path of the link), a heap

    def run(self) -> Walk:
        try:
            self.scan(self.real_root, "")
            while self.links:
                self.follow(*heapq.heappop(self.links))
        except _TooMany:
            self.out = Walk(too_many=True)
            return self.out
        self.out.files.sort(key=_relative)  # by path: a dataclass's own order is slow
        return self.out

    def name(self, relative: str) -> str:
        return f"{self.shown}/{relative}" if relative else self.shown

    def problem(self, relative: str, message: str, hint: str, environment: bool = False) -> None:
        where = Location(self.name(relative))
        self.out.problems.append(Diagnostic(where, message, hint=hint, environment=environment))

    def scan(self, folder: str, relative: str) -> None:
        """Add what `folder` (a real path, read as `relative`) holds, its subfolders too."""
        pending = [(folder, relative)]
        while pending:
            folder, relative = pending.pop()
            prefix = f"{relative}/" if relative else ""
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError as exc:
                self.unreadable(relative, "folder", exc)
                continue
            for entry in entries:
                self.entries += 1
                if self.entries > MAX_ENTRIES:
                    raise _TooMany
                if entry.name.startswith("."):
                    continue
                child = prefix + entry.name
                try:
                    if entry.is_symlink():
                        heapq.heappush(self.links, (child, entry.path))
                    elif entry.is_dir(follow_symlinks=False):
                        self.folders[entry.path] = child
                        pending.append((entry.path, child))
                    elif entry.is_file(follow_symlinks=False):
                        if is_spec_name(entry.name):
                            self.file_paths[entry.path] = child
                            self.out.files.append(SpecFile(child, entry.path))
                    else:
                        self.special(child, entry.stat(follow_symlinks=False).st_mode)
                except OSError as exc:
                    self.unreadable(child, "file", exc)

    def follow(self, relative: str, path: str) -> None:
        """A symlink inside the spec folder: read what it leads to, or say why not."""
        name = relative.rsplit("/", 1)[-1]
        try:
            status = os.stat(path)
        except FileNotFoundError:
            self.problem(
                relative,
                "is a symlink whose target does not exist",
                "remove the link, or restore what it points to",
            )
            return
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self.problem(
                    relative, "is a symlink that leads back to itself (a loop)", "remove the link"
                )
            else:
                self.unreadable(relative, "symlink", exc)
            return
        target = os.path.realpath(path)
        inside = target == self.real_root or target.startswith(self.real_root + os.sep)
        is_folder = stat.S_ISDIR(status.st_mode)
        if not is_folder and not stat.S_ISREG(status.st_mode):
            self.special(relative, status.st_mode, link=True)
            return
        if not is_folder and not is_spec_name(name):
            return  # not a spec file, like README.md: never read, wherever it leads
        what = "folder" if is_folder else "file"
        if not inside:
            self.problem(
                relative,
                f"is a symlink to a {what} outside the spec folder; files outside it are "
                "never read",
                f"copy the {what} into the spec folder, or remove the link",
            )
            return
        seen = (self.folders if is_folder else self.file_paths).get(target)
        if seen is not None:
            self.problem(
                relative,
                f"is a symlink to the {what} {self.name(seen)}, which is read already; "
                "each file and folder is read once",
                "remove the link",
            )
            return
        holds = self.read_below(target) if is_folder else None
        if holds is not None:
            self.problem(
                relative,
                f"is a symlink to a folder that holds {self.name(holds)}, which is read "
                "already; each file and folder is read once",
                "remove the link",
            )
            return
        if is_folder:
            self.folders[target] = relative
            self.scan(target, relative)
        else:
            self.file_paths[target] = relative
            self.out.files.append(SpecFile(relative, target))

    def read_below(self, folder: str) -> str | None:
        """The first folder read already (as messages name it) inside `folder`, if any."""
        below = sorted(
            rel for real, rel in self.folders.items() if real.startswith(folder + os.sep)
        )
        return below[0] if below else None

    def special(self, relative: str, mode: int, link: bool = False) -> None:
        """A named pipe, socket or device: reported, never opened."""
        if stat.S_ISFIFO(mode):
            what = "a named pipe (FIFO)"
        elif stat.S_ISSOCK(mode):
            what = "a socket"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            what = "a device"
        else:
            what = "neither a file nor a folder"
        self.problem(
            relative,
            f"{'leads to' if link else 'is'} {what}; the spec folder may hold only files and "
            "folders",
            "move it out of the spec folder",
            environment=True,
        )

    def unreadable(self, relative: str, what: str, exc: OSError) -> None:
        """A folder or file that cannot be read: an environment problem, and whatever it
        holds may be what other documents refer to."""
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EACCES, errno.EPERM):
            hint = (
                f"make the {what} readable for the user running paybill "
                f"(chmod u+r{'x' if what == 'folder' else ''}), or move it out of the spec folder"
            )
        else:
            hint = f"check the {what} and the file system it is on"
        self.problem(relative, f"cannot read this {what}: {reason}", hint, environment=True)
        self.out.unread.append(Unread(self.name(relative), f"the {what} could not be read"))
