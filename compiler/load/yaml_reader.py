"""Safe YAML reading with positions.

PyYAML's composer (the C one when libyaml is present) gives us nodes with marks; we build the
plain data ourselves instead of using a constructor, which lets us:

* reject every tag that would construct an object (`!!python/object`, custom `!tags`);
* report duplicate keys (PyYAML silently keeps the last one);
* bound alias expansion, so `&a [*a, *a, ...]` bombs stop after a fixed number of nodes;
* remember the line and column of every key and value for diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from compiler.errors import Diagnostic, Location
from compiler.load.source import Path, SourceDocument, format_path

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES_PER_DOCUMENT = 100_000
MAX_DEPTH = 64

_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_T = "tag:yaml.org,2002:"
_SCALARS: dict[str, Callable[[yaml.ScalarNode], Any]] = {
    _T + "str": lambda node: node.value,
    _T + "null": lambda node: None,
    _T + "bool": _CONSTRUCTOR.construct_yaml_bool,
    _T + "int": _CONSTRUCTOR.construct_yaml_int,
    _T + "float": _CONSTRUCTOR.construct_yaml_float,
    # Dates stay text: nothing in the DSL is a date, and text round-trips exactly.
    _T + "timestamp": lambda node: node.value,
}
_MAP = _T + "map"
_SEQ = _T + "seq"
_MERGE = _T + "merge"


class _Limit(Exception):
    def __init__(self, location: Location, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.location = location
        self.message = message
        self.hint = hint


class _Builder:
    """Turns one composed document into plain data, recording positions as it goes."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[Path, Location] = {}
        self.keys: dict[Path, Location] = {}
        self.problems: list[Diagnostic] = []
        self.budget = MAX_NODES_PER_DOCUMENT
        self.active: set[int] = set()

    def loc(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def problem(self, node: yaml.Node, path: Path, message: str, hint: str = "") -> None:
        self.problems.append(Diagnostic(self.loc(node), message, path=format_path(path), hint=hint))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _Limit(
                self.loc(node),
                f"document expands to more than {MAX_NODES_PER_DOCUMENT:,} values",
                "aliases (*name) that repeat large anchors multiply; write the values out",
            )
        if len(path) > MAX_DEPTH:
            raise _Limit(self.loc(node), f"nesting deeper than {MAX_DEPTH} levels")
        if id(node) in self.active:
            raise _Limit(self.loc(node), "an alias refers to a node that contains it")
        self.values.setdefault(path, self.loc(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
                return self.mapping(node, path)
            self.problem(node, path, f"YAML tag '{node.tag}' is not allowed", _TAG_HINT)
            return None
        finally:
            self.active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        construct = _SCALARS.get(node.tag)
        if construct is None:
            self.problem(node, path, f"YAML tag '{node.tag}' is not allowed", _TAG_HINT)
            return None
        try:
            return construct(node)
        except (ValueError, yaml.YAMLError):
            self.problem(node, path, f"'{node.value}' is not a valid {node.tag[len(_T) :]}")
            return None

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            child = (*path, key)
            if key in out:
                first = self.keys[child]
                self.problem(
                    key_node,
                    child,
                    f"duplicate key '{key}' (first written at line {first.line})",
                    "YAML would silently keep only the last one; remove one of them",
                )
                continue
            self.keys[child] = self.loc(key_node)
            out[key] = self.build(value_node, child)
        for merge in merges:
            self.merge(merge, path, out)
        return out

    def key(self, node: yaml.Node, path: Path) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _T + "str":
            return str(node.value)
        shown = node.value if isinstance(node, yaml.ScalarNode) else "a collection"
        self.problem(node, path, f"mapping key {shown!r} is not a string", "quote the key")
        return None

    def merge(self, node: yaml.Node, path: Path, out: dict[str, Any]) -> None:
        """`<<: *defaults` — explicit keys win, earlier merges win over later ones."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.problem(node, path, "'<<' must merge a mapping or a list of mappings")
                continue
            merged = self.build(source, (*path, "<<"))
            for key, value in merged.items():
                if key not in out:
                    out[key] = value
                    self._copy_positions((*path, "<<", key), (*path, key))

    def _copy_positions(self, old: Path, new: Path) -> None:
        size = len(old)
        for table in (self.values, self.keys):
            for p in [p for p in table if p[:size] == old]:
                table.setdefault(new + p[size:], table[p])


_TAG_HINT = "spec files hold plain data: strings, numbers, booleans, lists and mappings"


def too_large(file: str, size: int) -> Diagnostic:
    """The diagnostic for a file over MAX_FILE_BYTES (checked before it is read)."""
    return Diagnostic(
        Location(file),
        f"file is {size / (1024 * 1024):.1f} MiB, over the "
        f"{MAX_FILE_BYTES // (1024 * 1024)} MiB limit for one spec file",
        hint="split it into several files; every *.yaml under the spec folder is read",
    )


def read_yaml(file: str, raw: bytes) -> tuple[list[SourceDocument], list[Diagnostic]]:
    """All documents of one file, or the problems that stop it from being read."""
    if len(raw) > MAX_FILE_BYTES:
        return [], [too_large(file, len(raw))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [
            Diagnostic(Location(file), f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        ]
    if "\x00" in text:
        return [], [Diagnostic(Location(file), "contains a NUL byte; is this a binary file?")]
    documents: list[SourceDocument] = []
    problems: list[Diagnostic] = []
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_LOADER)):
            if node is None:
                continue
            builder = _Builder(file)
            try:
                data = builder.build(node, ())
            except _Limit as limit:
                problems.append(Diagnostic(limit.location, limit.message, hint=limit.hint))
                continue
            except RecursionError:
                problems.append(Diagnostic(builder.loc(node), "document is nested too deeply"))
                continue
            problems.extend(builder.problems)
            documents.append(
                SourceDocument(file, index, data, builder.loc(node), builder.values, builder.keys)
            )
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(file, exc))
    except yaml.YAMLError as exc:  # errors without a mark: rare, but never a traceback
        problems.append(Diagnostic(Location(file), f"invalid YAML: {exc}"))
    except RecursionError:
        problems.append(Diagnostic(Location(file), "YAML is nested too deeply to read"))
    return documents, problems


def _syntax_problem(file: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    problem = (exc.problem or "syntax error").strip()
    context = (exc.context or "").strip()
    message = f"invalid YAML: {problem}"
    hint = f"{context} at line {exc.context_mark.line + 1}" if context and exc.context_mark else ""
    return Diagnostic(location, message, hint=hint)
