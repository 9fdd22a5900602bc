"""Safe YAML reading with positions.

PyYAML's composer (the C one when libyaml is present) gives us nodes with marks; we build the
plain data ourselves instead of using a constructor, which lets us:

* reject every tag that would construct an object (`!!python/object`, custom `!tags`);
* report duplicate keys (PyYAML silently keeps the last one);
* bound alias expansion, so `&a [*a, *a, ...]` bombs stop after a fixed number of nodes;
* remember the line and column of every key and value for diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import yaml

from compiler.errors import Diagnostic, Location
from compiler.load.source import Path, Position, SourceDocument, format_path

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
        self.values: dict[Path, Position] = {}
        self.keys: dict[Path, Position] = {}
        self.problems: list[Diagnostic] = []
        self.budget = MAX_NODES_PER_DOCUMENT
        self.active: set[int] = set()

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.file, *_position(node))

    def problem(self, node: yaml.Node, path: Path, message: str, hint: str = "") -> None:
        self.problems.append(Diagnostic(self.loc(node), message, path=format_path(path), hint=hint))

    def spend(self, node: yaml.Node) -> None:
        """Count one more value; stop the document when aliases blow it up, or loop."""
        self.budget -= 1
        if self.budget < 0:
            raise _Limit(
                self.loc(node),
                f"document expands to more than {MAX_NODES_PER_DOCUMENT:,} values",
                "aliases (*name) that repeat large anchors multiply; write the values out",
            )
        if id(node) in self.active:
            raise _Limit(
                self.loc(node),
                "an alias refers to a node that contains it",
                "YAML allows such loops, but a spec must be a finite tree",
            )

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.spend(node)
        if len(path) > MAX_DEPTH:
            raise _Limit(self.loc(node), f"nesting deeper than {MAX_DEPTH} levels")
        if path not in self.values:
            self.values[path] = _position(node)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
                return self.mapping(node, path)
            self.problem(node, path, f"YAML tag '{_shown_tag(node.tag)}' is not allowed", _TAG_HINT)
            return None
        finally:
            self.active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        construct = _SCALARS.get(node.tag)
        if construct is None:
            self.problem(node, path, f"YAML tag '{_shown_tag(node.tag)}' is not allowed", _TAG_HINT)
            return None
        try:
            return construct(node)
        except (ArithmeticError, LookupError, ValueError, yaml.YAMLError):
            # e.g. `!!int ten`, `!!bool maybe`: an explicit tag on text it cannot read
            self.problem(node, path, f"'{node.value}' is not a valid {node.tag[len(_T) :]}")
            return None

    def mapping(
        self, node: yaml.MappingNode, path: Path, into: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The mapping's own keys first, then what `<<` merges in under keys not yet set.

        Merged values are built straight at the path where they end up, so positions need
        no copying and every merged value counts against the budget like any other.
        """
        out: dict[str, Any] = {} if into is None else into
        own: dict[str, Position] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            child = (*path, key)
            if key in own:
                self.problem(
                    key_node,
                    child,
                    f"duplicate key '{key}' (first written at line {own[key][0]})",
                    "YAML would silently keep only the last one; remove one of them",
                )
                continue
            own[key] = _position(key_node)
            if key in out:  # merging: a key written nearer already won
                continue
            self.keys.setdefault(child, own[key])
            out[key] = self.build(value_node, child)
        for merge in merges:
            self.merge(merge, path, out)
        return out

    def key(self, node: yaml.Node, path: Path) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _T + "str":
            return str(node.value)
        if isinstance(node, yaml.ScalarNode):
            self.problem(node, path, f"mapping key '{node.value}' is not text", "quote the key")
        else:
            shown = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
            self.problem(node, path, f"{shown} cannot be a mapping key")
        return None

    def merge(self, node: yaml.Node, path: Path, out: dict[str, Any]) -> None:
        """`<<: *defaults` — explicit keys win, earlier merges win over later ones."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode) or source.tag != _MAP:
                self.problem(source, path, "'<<' must merge a mapping or a list of mappings")
                continue
            self.spend(source)
            self.active.add(id(source))
            try:
                self.mapping(source, path, into=out)
            finally:
                self.active.discard(id(source))


def _position(node: yaml.Node) -> Position:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


_TAG_HINT = "spec files hold plain data: strings, numbers, booleans, lists and mappings"


def _shown_tag(tag: str) -> str:
    """`tag:yaml.org,2002:python/object` -> `!!python/object`, as it is written."""
    return "!!" + tag[len(_T) :] if tag.startswith(_T) else tag


def too_large(file: str, size: int) -> Diagnostic:
    """The diagnostic for a file over MAX_FILE_BYTES (checked before it is read)."""
    return Diagnostic(
        Location(file),
        f"file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes "
        f"({MAX_FILE_BYTES // (1024 * 1024)} MiB) for one spec file",
        hint="split it into several files; every *.yaml under the spec folder is read",
    )


def read_yaml(file: str, raw: bytes) -> tuple[list[SourceDocument], list[Diagnostic]]:
    """All documents of one file, or the problems that stop it from being read."""
    if len(raw) > MAX_FILE_BYTES:
        return [], [too_large(file, len(raw))]
    text = _decode(file, raw)
    if isinstance(text, Diagnostic):
        return [], [text]
    documents: list[SourceDocument] = []
    problems: list[Diagnostic] = []
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_LOADER)):
            if node is None or _empty(node):
                continue
            document, found = _document(file, index, node)
            problems.extend(found)
            if document is not None:
                documents.append(document)
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(file, text, exc))
    except yaml.YAMLError as exc:  # errors without a mark: rare, but never a traceback
        problems.append(Diagnostic(Location(file), f"invalid YAML: {exc}"))
    except RecursionError:
        problems.append(Diagnostic(Location(file), "YAML is nested too deeply to read"))
    return documents, problems


def _decode(file: str, raw: bytes) -> str | Diagnostic:
    """The text of a spec file (UTF-8, a byte order mark allowed), or why it is not text."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return Diagnostic(
            Location(file, line, column),
            f"not UTF-8 text: {exc.reason} (byte 0x{raw[exc.start]:02x})",
            hint="save the file as UTF-8",
        )
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        column = nul - (text.rfind("\n", 0, nul) + 1) + 1
        return Diagnostic(
            Location(file, line, column), "contains a NUL byte; is this a binary file?"
        )
    return text


def _document(
    file: str, index: int, node: yaml.Node
) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """One composed document as data, with the problems found in it.

    Problems inside a document carry its `Kind/name`, and their paths are remembered so that
    the parser does not report the same spot again (a rejected tag leaves a null behind).
    """
    builder = _Builder(file)
    try:
        data = builder.build(node, ())
    except _Limit as limit:
        return None, [Diagnostic(limit.location, limit.message, hint=limit.hint)]
    except RecursionError:
        return None, [Diagnostic(builder.loc(node), "document is nested too deeply")]
    document = SourceDocument(
        file,
        index,
        data,
        builder.loc(node),
        builder.values,
        builder.keys,
        broken=frozenset(p.path for p in builder.problems),
    )
    return document, [replace(p, doc=document.label) for p in builder.problems]


def _empty(node: yaml.Node) -> bool:
    """A document with nothing in it (`---` twice in a row): skipped, as kubectl does."""
    return isinstance(node, yaml.ScalarNode) and node.tag == _T + "null" and node.value == ""


def _syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    problem = (exc.problem or "syntax error").strip()
    context = (exc.context or "").strip()
    hint = f"{context} at line {exc.context_mark.line + 1}" if context and exc.context_mark else ""
    alias = _ALIAS.match(text, mark.index) if mark and problem.startswith(_UNDEFINED) else None
    if alias:
        # libyaml does not name the alias; the text at the mark does.
        problem = f"alias '{alias.group(0)}' refers to no anchor"
        hint = "an anchor (&name) must come before its aliases, in the same document"
    return Diagnostic(location, f"invalid YAML: {problem}", hint=hint)


_UNDEFINED = "found undefined alias"
_ALIAS = re.compile(r"\*[^\s,\[\]{}]+")
