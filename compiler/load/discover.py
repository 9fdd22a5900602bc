"""Finding and reading spec files: every *.yaml / *.yml under the folder, sorted by path."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from compiler.errors import Collector, Diagnostic, Location, UsageError
from compiler.load.source import SourceDocument
from compiler.load.yaml_reader import MAX_FILE_BYTES, read_yaml, too_large

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    """Every document of a spec folder, in file order, and a digest of the files' bytes.

    `problems` are files (or documents) that could not be read. They do not stop the
    loading of the others: the parser reports them together with what it finds in the
    documents that could be read, so one syntax error does not hide everything else.
    """

    documents: tuple[SourceDocument, ...]
    digest: str
    files: tuple[str, ...]
    problems: tuple[Diagnostic, ...] = ()


def discover(root: Path) -> list[Path]:
    """Spec files under `root`, sorted by their path relative to it; hidden ones skipped."""
    return [root / relative for relative in _spec_files(root)]


def _spec_files(root: Path) -> list[str]:
    """Relative posix paths of the spec files under `root`, sorted.

    Hidden folders (`.git`, `.draft/`) are not entered and hidden files are skipped. Plain
    strings rather than Path objects: a fleet's spec has tens of thousands of files.
    """
    if not root.is_dir():
        raise UsageError(f"spec folder '{root}' does not exist or is not a folder")
    found: list[str] = []
    for folder, folders, names in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        found.extend(
            prefix + name
            for name in names
            if name.endswith(SPEC_SUFFIXES)
            and not name.startswith(".")
            and os.path.isfile(os.path.join(folder, name))
        )
    return sorted(found)


def load_files(files: dict[str, bytes], prefix: str) -> LoadedSpec:
    """Read already-fetched files (path relative to the spec folder -> bytes).

    Used for folders and git revisions alike. Diagnostics show `prefix/relative`; the digest
    covers only relative paths and bytes, so it does not depend on where the folder lives.
    """
    problems = Collector()
    documents: list[SourceDocument] = []
    digest = hashlib.sha256()
    shown_names = []
    for name in sorted(files):
        raw = files[name]
        digest.update(name.encode() + b"\0" + hashlib.sha256(raw).digest())
        shown = f"{prefix}/{name}" if prefix else name
        shown_names.append(shown)
        docs, errs = read_yaml(shown, raw)
        documents.extend(docs)
        problems.extend(errs)
    return LoadedSpec(
        tuple(documents), digest.hexdigest(), tuple(shown_names), tuple(problems.diagnostics)
    )


def load_spec(root: Path) -> LoadedSpec:
    """Read a spec folder. File names in diagnostics are shown as `root/relative/path`."""
    relatives = _spec_files(root)
    if not relatives:
        raise UsageError(f"no *.yaml or *.yml files under '{root}'")
    files: dict[str, bytes] = {}
    problems = Collector()
    prefix = root.as_posix().rstrip("/") or "/"
    for relative in relatives:
        shown = f"{prefix}/{relative}"
        path = os.path.join(root, relative)
        try:
            size = os.path.getsize(path)
            if size > MAX_FILE_BYTES:
                problems.add(too_large(shown, size))
                continue
            with open(path, "rb") as handle:
                files[relative] = handle.read()
        except OSError as exc:
            problems.add(Diagnostic(Location(shown), f"cannot read file: {exc.strerror}"))
    loaded = load_files(files, prefix)
    if not problems:
        return loaded
    return replace(loaded, problems=(*problems.diagnostics, *loaded.problems))
