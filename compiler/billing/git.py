"""The git the billing sync needs, through the `git` program: read what a revision holds,
keep a working copy to compile in, and write commits onto `billing/<tenant>` branches with
one `git fast-import` (a thousand commits cost one process, not a thousand)."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from compiler.errors import EnvironmentProblem

BRANCH_PREFIX = "billing/"
TRAILER = "Billing-Event"
DEFAULT_IDENTITY = ("Paybill billing", "billing@paybill.invalid")
# A remote's address may carry a token (https://x-access-token:ghs_...@github.com/...).
_CREDENTIALS = re.compile(r"(\w+://)[^/@\s]+@")


class Git:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def around(cls, folder: Path) -> Git:
        """The repository that holds `folder`."""
        found = _run(folder.resolve(), "rev-parse", "--show-toplevel", what="find the repository")
        return cls(Path(found.strip()))

    def run(self, *args: str, data: bytes | None = None, what: str = "") -> str:
        return _run(self.root, *args, data=data, what=what or f"git {args[0]}")

    def sha(self, rev: str) -> str | None:
        try:
            return self.run("rev-parse", "--verify", "-q", f"{rev}^{{commit}}").strip()
        except EnvironmentProblem:
            return None

    def show(self, rev: str, path: str) -> str | None:
        try:
            return self.run("show", f"{rev}:{path}")
        except EnvironmentProblem:
            return None

    def branches(self, not_merged_into: str | None = None) -> dict[str, str]:
        """`billing/<tenant>` branches: tenant -> commit; with `not_merged_into`, only those
        whose commit that revision does not contain (their pull request is still open)."""
        merged = [f"--no-merged={not_merged_into}"] if not_merged_into else []
        out = self.run(
            "for-each-ref",
            "--format=%(refname:strip=2) %(objectname)",
            *merged,
            f"refs/heads/{BRANCH_PREFIX}",
        )
        pairs = (line.split(" ") for line in out.splitlines() if line)
        return {ref[len(BRANCH_PREFIX) :]: sha for ref, sha in pairs}

    def scratch(self, path: Path, rev: str) -> None:
        """A working copy of `rev` at `path` (created once, then moved to each `rev`); files
        git ignores (a compile's working state) are kept there from run to run."""
        if not (path / ".git").exists():
            self.run("worktree", "prune")
            self.run("worktree", "add", "--detach", "--force", str(path), rev)
            return
        _run(path, "checkout", "--detach", "--force", "-q", rev, what="reset the working copy")
        _run(path, "clean", "-fdq", what="clean the working copy")

    def restore(self, path: Path, rev: str, files: list[str]) -> None:
        """Put `files` of the working copy at `path` back as `rev` has them (removing those
        `rev` does not have), without walking the rest of the tree."""
        if not files:
            return
        listed = _run(path, "ls-tree", "-r", "--name-only", "-z", rev, "--", *files, what="list")
        known = set(filter(None, listed.split("\0")))
        for file in files:
            if file not in known:
                (path / file).unlink(missing_ok=True)
        if known:
            data = "\0".join(sorted(known)).encode()
            _run(
                path,
                "checkout",
                rev,
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
                data=data,
                what="restore the working copy",
            )

    def merge_file(self, ours: str, base: str, theirs: str) -> str | None:
        """Three-way merge of one file's texts; None on a conflict."""
        folder = self.root / ".git" if (self.root / ".git").is_dir() else None
        tmp = Path(os.environ.get("TMPDIR", "/tmp")) if folder is None else folder
        names = [tmp / f"paybill-merge-{os.getpid()}-{i}" for i in range(3)]
        try:
            for name, text in zip(names, (ours, base, theirs), strict=True):
                name.write_text(text)
            done = subprocess.run(
                ["git", "merge-file", "-p", *map(str, names)],
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            for name in names:
                name.unlink(missing_ok=True)
        return done.stdout if done.returncode == 0 else None


@dataclass
class Commit:
    """One commit onto `billing/<tenant>`: the base's tree with these files."""

    tenant: str
    message: str
    base: str  # first parent: the base revision
    previous: str | None  # second parent: the branch as it was, while it is open
    files: dict[str, bytes | None] = field(default_factory=dict)  # path -> bytes; None removes

    @property
    def branch(self) -> str:
        return BRANCH_PREFIX + self.tenant


def write_commits(git: Git, commits: list[Commit], when: int) -> None:
    """Every commit in one `git fast-import` run; each branch moves forward only."""
    if not commits:
        return
    name, email = identity()
    stream = bytearray()
    for commit in commits:
        message = commit.message.encode()
        stream += f"commit refs/heads/{commit.branch}\n".encode()
        for role in ("author", "committer"):
            stream += f"{role} {name} <{email}> {when} +0000\n".encode()
        stream += f"data {len(message)}\n".encode() + message + b"\n"
        stream += f"from {commit.base}\n".encode()
        if commit.previous is not None:
            stream += f"merge {commit.previous}\n".encode()
        for path in sorted(commit.files):
            content = commit.files[path]
            if content is None:
                stream += f"D {path}\n".encode()
            else:
                stream += f"M 100644 inline {path}\ndata {len(content)}\n".encode()
                stream += content + b"\n"
        stream += b"\n"
    git.run("fast-import", "--quiet", "--done", data=bytes(stream + b"done\n"), what="commit")


def identity() -> tuple[str, str]:
    """Who the commits are by: PAYBILL_BILLING_AUTHOR ("Name <email>"), else a fixed name."""
    given = os.environ.get("PAYBILL_BILLING_AUTHOR", "")
    if "<" in given and given.endswith(">"):
        name, _, email = given[:-1].partition("<")
        return name.strip(), email.strip()
    return DEFAULT_IDENTITY


def without_credentials(text: str) -> str:
    """`text` with any user and token in an address replaced by `***` (git hides them
    itself in most messages; not every version, and not every message)."""
    return _CREDENTIALS.sub(r"\1***@", text)


def _run(cwd: Path, *args: str, data: bytes | None = None, what: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=False)
    except FileNotFoundError:
        raise EnvironmentProblem("git is not installed; install git and run again") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        last = without_credentials(said[-1]) if said else "git failed"
        raise EnvironmentProblem(f"cannot {what}: {last}")
    return done.stdout.decode(errors="replace")
