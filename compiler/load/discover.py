"""Finding and reading spec files: every *.yaml / *.yml under the folder, sorted by path."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from compiler.errors import Collector, Diagnostic, Location, UsageError
from compiler.load.source import SourceDocument
from compiler.load.yaml_reader import MAX_FILE_BYTES, read_yaml, too_large

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    """Every document of a spec folder, in file order, and a digest of the files' bytes."""

    documents: tuple[SourceDocument, ...]
    digest: str
    files: tuple[str, ...]


def discover(root: Path) -> list[Path]:
    """Spec files under `root`, sorted by their path relative to it; hidden folders skipped."""
    if not root.is_dir():
        raise UsageError(f"spec folder '{root}' does not exist or is not a folder")
    found = [
        path
        for path in root.rglob("*")
        if path.suffix in SPEC_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


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
    problems.raise_if_any()
    return LoadedSpec(tuple(documents), digest.hexdigest(), tuple(shown_names))


def load_spec(root: Path) -> LoadedSpec:
    """Read a spec folder. File names in diagnostics are shown as `root/relative/path`."""
    paths = discover(root)
    if not paths:
        raise UsageError(f"no *.yaml or *.yml files under '{root}'")
    files: dict[str, bytes] = {}
    problems = Collector()
    prefix = root.as_posix().rstrip("/") or "/"
    for path in paths:
        relative = path.relative_to(root).as_posix()
        shown = f"{prefix}/{relative}"
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                problems.add(too_large(shown, size))
                continue
            files[relative] = path.read_bytes()
        except OSError as exc:
            problems.add(Diagnostic(Location(shown), f"cannot read file: {exc.strerror}"))
    problems.raise_if_any()
    return load_files(files, prefix)
