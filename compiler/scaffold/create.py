"""Write a new repository (or refresh the managed files of one) without leaving half of it.

Everything is written into a staging folder beside the target first and the new spec is
compiled there, in-process; only when that succeeded are the files moved into the target.
So a spec error, a missing node or a full disk leaves the target as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.errors import EnvironmentProblem, UsageError
from compiler.pipeline import compile_spec, validate
from compiler.scaffold.logins import used_clouds
from compiler.scaffold.templates import Settings, is_managed, render_files

SPEC = "spec"
GENERATED = "generated"
WORKING_STATE = ".paybill"  # the compiler's working state inside generated/: never moved
KEPT_WHEN_EMPTY = {".git"}  # a fresh clone or `git init` still counts as empty


@dataclass
class Written:
    """What a run did to the target, by relative path."""

    target: Path
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _occupants(target: Path) -> list[str]:
    if not target.exists():
        return []
    if not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder")
    return sorted(e.name for e in target.iterdir() if e.name not in KEPT_WHEN_EMPTY)


def _files(folder: Path) -> Iterator[Path]:
    """Relative paths of the files under `folder`, without generated/.paybill/."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.parts[:2] == (GENERATED, WORKING_STATE):
            continue
        if path.is_file():
            yield relative


def _stage(parent: Path, content: Mapping[str, bytes]) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".paybill-init-", dir=parent))
    for relative, data in content.items():
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return staging


def _move(staging: Path, target: Path, replace_generated: bool) -> Written:
    """Move every staged file into place; with `replace_generated`, files under generated/
    that the new output does not have are removed, with the compiler's working state."""
    written = Written(target)
    target.mkdir(parents=True, exist_ok=True)
    staged = list(_files(staging))
    if replace_generated:
        keep = {r for r in staged if r.parts[0] == GENERATED}
        old = target / GENERATED
        shutil.rmtree(old / WORKING_STATE, ignore_errors=True)
        if old.is_dir():
            for relative in _files(target):
                if relative.parts[0] == GENERATED and relative not in keep:
                    (target / relative).unlink()
                    written.removed.append(relative.as_posix())
    for relative in staged:
        destination = target / relative
        name = relative.as_posix()
        if destination.is_file():
            if destination.read_bytes() == (staging / relative).read_bytes():
                written.unchanged.append(name)
                continue
            written.replaced.append(name)
        elif destination.exists():
            raise UsageError(f"{destination} is in the way: it is not a file")
        else:
            written.added.append(name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / relative, destination)
    return written


def create(target: Path, settings: Settings, *, force: bool = False) -> Written:
    """A new repository in `target` (empty, or anything with `force`): the spec, its
    compiled output, the schemas, the workflows, README.md, .gitignore, requirements.txt."""
    occupants = _occupants(target)
    if occupants and not force:
        shown = ", ".join(occupants[:5]) + (", …" if len(occupants) > 5 else "")
        raise UsageError(
            f"{target} is not empty ({shown}); paybill init writes a new repository into an "
            "empty folder (one holding only .git is fine). Choose another folder, or add "
            "--force to write into this one: files of the same name are replaced, generated/ "
            "as a whole, everything else is left alone"
        )
    staging = _stage(target.resolve().parent, render_files(settings))
    try:
        compile_spec(staging / SPEC, staging / GENERATED)
        return _move(staging, target, replace_generated=True)
    except OSError as failed:
        raise EnvironmentProblem(f"cannot write {target}: {failed.strerror or failed}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def update(target: Path) -> Written:
    """Rewrite the managed files (workflows, schemas) of an existing repository for the
    installed paybill and the clouds its spec uses (so the spec must be valid); the spec,
    README.md and everything else stay as they are."""
    if not (target / SPEC).is_dir():
        raise UsageError(
            f"{target} has no {SPEC}/ folder: --update refreshes a repository made by "
            f"paybill init; to make one, run: paybill init {target}"
        )
    clouds = used_clouds(validate(target / SPEC))
    content = render_files(None, clouds)
    assert all(is_managed(path) for path in content)
    staging = _stage(target.resolve().parent, content)
    try:
        return _move(staging, target, replace_generated=False)
    except OSError as failed:
        raise EnvironmentProblem(f"cannot write {target}: {failed.strerror or failed}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
