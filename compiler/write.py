"""Stage 6: the only code that touches the output folder.

* `write_tree` replaces the folder as a whole: everything is written to a sibling temporary
  folder first and swapped in with renames, so a failure (disk full, interrupt) leaves the
  previous output as it was, and files no longer produced disappear.
* `compare` is `--check`: nothing is written; the differences are returned.
* `read_previous` gives the last manifest and the artifacts that may be reused.

The writer never decides content: it receives finished artifacts.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.emit import Artifact
from compiler.emit.manifest import MANIFEST_PATH, SCHEMA_VERSION
from compiler.errors import EnvironmentProblem, Location, UsageError
from compiler.resolve import Baseline


@dataclass(frozen=True)
class Difference:
    path: str
    change: str  # "added" | "changed" | "removed"

    def render(self) -> str:
        return f"  {self.change:8} {self.path}"


@dataclass(frozen=True)
class Previous:
    """The output folder as the last compile left it."""

    manifest: dict[str, Any] | None
    folder: Path
    node_digests: dict[str, str] = field(default_factory=dict)

    def baseline(self) -> dict[str, Baseline] | None:
        """Tenants as last compiled, for the data-deletion and lifecycle checks (None when
        there is no previous output to compare with)."""
        if self.manifest is None:
            return None
        where = Location((self.folder / MANIFEST_PATH).as_posix())
        return {
            name: Baseline(
                state=t["state"],
                subscription=t["subscription"],
                isolation=t["isolation"] if t.get("dedicatedDatabase", True) else "pooled",
                plan=t["plan"],
                location=where,
            )
            for name, t in self.manifest.get("tenants", {}).items()
        }

    def reusable(self, digests: dict[str, str]) -> dict[str, list[Artifact]]:
        """Previous artifacts of every node whose input digest is unchanged and whose files
        are still exactly what the manifest recorded (a hand-edited file is rebuilt)."""
        if self.manifest is None:
            return {}
        recorded: dict[str, list[dict[str, Any]]] = {}
        for entry in self.manifest.get("artifacts", []):
            if entry.get("node"):
                recorded.setdefault(entry["node"], []).append(entry)
        out: dict[str, list[Artifact]] = {}
        for node, digest in digests.items():
            if not digest or self.node_digests.get(node) != digest or node not in recorded:
                continue
            artifacts = [self._read(node, entry) for entry in recorded[node]]
            if all(a is not None for a in artifacts):
                out[node] = [a for a in artifacts if a is not None]
        return out

    def _read(self, node: str, entry: dict[str, Any]) -> Artifact | None:
        try:
            content = (self.folder / entry["path"]).read_bytes()
        except OSError:
            return None
        artifact = Artifact(entry["path"], content, node)
        return artifact if artifact.sha256 == entry.get("sha256") else None


def read_previous(folder: Path) -> Previous:
    path = folder / MANIFEST_PATH
    if not path.exists():
        return Previous(None, folder)
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise EnvironmentProblem(
            f"{path} cannot be read ({exc}); restore it from version control "
            "or delete the folder to compile from scratch"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("schemaVersion") != SCHEMA_VERSION:
        raise EnvironmentProblem(
            f"{path} is not a {SCHEMA_VERSION} manifest; restore it from version control "
            "or delete the folder to compile from scratch"
        )
    digests = {node: n.get("inputDigest", "") for node, n in manifest.get("nodes", {}).items()}
    return Previous(manifest, folder, digests)


def compare(
    folder: Path, artifacts: Sequence[Artifact], verified: AbstractSet[str] = frozenset()
) -> list[Difference]:
    """What `write_tree` would change, without writing anything.

    `verified` names files just read from `folder` and found equal to their artifacts (the
    reused ones): they are not read again.
    """
    expected = {a.path: a.content for a in artifacts}
    present = set(_files(folder)) if folder.is_dir() else set()
    out = []
    for path in sorted(expected.keys() | present):
        if path not in present:
            out.append(Difference(path, "added"))
        elif path not in expected:
            out.append(Difference(path, "removed"))
        elif path not in verified and (folder / path).read_bytes() != expected[path]:
            out.append(Difference(path, "changed"))
    return out


def write_tree(
    folder: Path, artifacts: Sequence[Artifact], verified: AbstractSet[str] = frozenset()
) -> list[Difference]:
    """Replace `folder` with exactly `artifacts`; return what changed (see `compare` for
    `verified`)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"output '{folder}' exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MANIFEST_PATH).exists():
        raise UsageError(
            f"output folder '{folder}' is not empty and holds no {MANIFEST_PATH}; refusing to "
            "replace a folder the compiler did not write (choose another --out)"
        )
    changes = compare(folder, artifacts, verified)
    if not changes:
        return changes
    touched = {c.path for c in changes}
    unchanged = {a.path for a in artifacts if a.path not in touched}
    parent = folder.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=parent))
    try:
        _write_all(staging, artifacts, folder, unchanged)
        _swap(staging, folder.resolve())
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return changes


def _write_all(
    root: Path,
    artifacts: Iterable[Artifact],
    previous: Path | None = None,
    unchanged: AbstractSet[str] = frozenset(),
) -> None:
    made: set[Path] = set()
    for artifact in artifacts:
        target = root / artifact.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        linked = (
            previous is not None
            and artifact.path in unchanged
            and _link(previous / artifact.path, target)
        )
        if not linked:
            target.write_bytes(artifact.content)


def _link(source: Path, target: Path) -> bool:
    """Hard-link a file the previous output already holds with the same bytes (`compare`
    just read them) instead of writing it again: several times faster for a large tree in
    which one tenant changed. The previous folder is not modified. False when the file
    system refuses links; the caller then writes the bytes."""
    if source.is_symlink():
        return False
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def _swap(staging: Path, folder: Path) -> None:
    if not folder.exists():
        os.rename(staging, folder)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=folder.parent))
    os.rmdir(retired)
    os.rename(folder, retired)
    try:
        os.rename(staging, folder)
    except BaseException:
        os.rename(retired, folder)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )
