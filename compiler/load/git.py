"""Reading a spec folder as it is in another git revision (for `--base` comparisons)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from compiler.errors import EnvironmentProblem, UsageError
from compiler.load.discover import SPEC_SUFFIXES, LoadedSpec, load_files


def _git(cwd: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=60)
    except FileNotFoundError as exc:
        raise EnvironmentProblem("git is not installed; --base needs it") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}")
    return done.stdout


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
    listing = _git(top, "ls-tree", "-r", "-z", "--name-only", revision, "--", inside)
    names = [n for n in listing.decode().split("\0") if n.endswith(SPEC_SUFFIXES)]
    if not names:
        return None
    files = {}
    for name in sorted(names):
        relative = name[len(inside) + 1 :] if inside != "." else name
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        files[relative] = _git(top, "show", f"{revision}:{name}")
    return load_files(files, f"{revision}:{spec_dir.as_posix().rstrip('/')}")
