"""A YAML document as plain data plus the position of every key and value in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compiler.errors import Location

PathPart = str | int
Path = tuple[PathPart, ...]
# (line, column), 1-based. Plain tuples: a large spec has hundreds of thousands of them.
Position = tuple[int, int]


@dataclass(frozen=True, slots=True, weakref_slot=True)
class SourceDocument:
    """One `---` document of a spec file.

    `values` maps a field path to where its value starts; `keys` maps it to where its key is
    written. Both are kept so that "unknown field" points at the key and "bad value" at the
    value, the way an editor would underline them. `at` and `key_at` turn them into
    Locations in this document's file.

    Positions are only needed for messages, and most documents have none: a document read
    without any problem keeps only a few, and `locate` (set by the reader) records the rest
    the first time a position it lacks is asked for.
    """

    file: str
    index: int
    data: Any
    start: Location
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    # Field paths (`spec.description`) where reading already reported a problem.
    broken: frozenset[str] = frozenset()
    locate: Callable[[], None] | None = field(default=None, compare=False, repr=False)

    def at(self, *path: PathPart) -> Location:
        """Where the value at `path` is written, or the closest enclosing one."""
        parts = tuple(path)
        if self.locate is not None and parts not in self.values:
            self.locate()
        while parts:
            found = self.values.get(parts)
            if found is not None:
                return Location(self.file, *found)
            parts = parts[:-1]
        return self.start

    def key_at(self, *path: PathPart) -> Location:
        """Where the key of `path` is written (falls back to the value, then the parent)."""
        if self.locate is not None and tuple(path) not in self.keys:
            self.locate()
        found = self.keys.get(tuple(path))
        return Location(self.file, *found) if found is not None else self.at(*path)

    @property
    def kind(self) -> str:
        value = self.data.get("kind") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def name(self) -> str:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        value = meta.get("name") if isinstance(meta, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def label(self) -> str:
        """`Kind/name` as used in diagnostics."""
        kind = self.kind or "Document"
        return f"{kind}/{self.name}" if self.name else f"{kind}#{self.index + 1}"


def format_path(path: Path) -> str:
    """`("spec", "steps", 1, "query")` -> `spec.steps[1].query`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
