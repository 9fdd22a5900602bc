"""Turning one composed YAML document into plain data.

Two walks over PyYAML's nodes. `Plain` takes plain data only (no anchors, merge keys, tags
or duplicate keys) and records no positions: most documents are like that, and it is the
cheap one. `Builder` takes anything, records the position of every key and value, and
reports each problem where it is written:

* every tag that would construct an object (`!!python/object`, custom `!tags`) is rejected;
* duplicate keys are reported (PyYAML silently keeps the last one);
* the work is bounded: aliases and merge keys count every value they repeat and every key
  they visit, so bombs stop after a fixed number of values (see `compiler.load.limits`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from compiler.errors import Diagnostic, Location, quote
from compiler.load.limits import MAX_DEPTH, MAX_VALUES_PER_DOCUMENT
from compiler.load.source import Path, Position, format_path

T = "tag:yaml.org,2002:"
STR = T + "str"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SCALARS: dict[str, Callable[[yaml.ScalarNode], Any]] = {
    STR: lambda node: node.value,
    T + "null": lambda node: None,
    T + "bool": _CONSTRUCTOR.construct_yaml_bool,
    T + "int": _CONSTRUCTOR.construct_yaml_int,
    T + "float": _CONSTRUCTOR.construct_yaml_float,
    # Dates stay text: nothing in the DSL is a date, and text round-trips exactly.
    T + "timestamp": lambda node: node.value,
}
_MAP = T + "map"
_SEQ = T + "seq"
_MERGE = T + "merge"
_SCALAR_NODE = yaml.ScalarNode
_MAPPING_NODE = yaml.MappingNode
_SEQUENCE_NODE = yaml.SequenceNode


class Limit(Exception):
    def __init__(self, location: Location, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.location = location
        self.message = message
        self.hint = hint


class NotPlain(Exception):
    """The lean walk met something only the careful builder handles."""


class Plain:
    """The lean walk: plain data only, no positions. Counts what it builds."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_VALUES_PER_DOCUMENT

    def value(self, node: yaml.Node, depth: int) -> Any:
        self.left -= 1
        if self.left < 0 or depth > MAX_DEPTH:
            raise NotPlain
        kind = node.__class__
        if kind is _SCALAR_NODE:
            tag = node.tag
            if tag == STR:
                return node.value
            construct = _SCALARS.get(tag)
            if construct is None:
                raise NotPlain
            try:
                return construct(node)  # type: ignore[arg-type]
            except (ArithmeticError, LookupError, ValueError, yaml.YAMLError) as exc:
                raise NotPlain from exc
        if kind is _MAPPING_NODE:
            if node.tag != _MAP:
                raise NotPlain
            out = {}
            pairs = node.value
            for key, item in pairs:
                if key.__class__ is not _SCALAR_NODE or key.tag != STR:
                    raise NotPlain  # a merge key (`<<`), or a key that is not text
                out[key.value] = self.value(item, depth + 1)
            if len(out) != len(pairs):
                raise NotPlain  # a duplicate key
            return out
        if kind is _SEQUENCE_NODE:
            if node.tag != _SEQ:
                raise NotPlain
            return [self.value(item, depth + 1) for item in node.value]
        raise NotPlain


class Builder:
    """Turns one composed document into plain data, recording positions as it goes."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[Path, Position] = {}
        self.keys: dict[Path, Position] = {}
        self.problems: list[Diagnostic] = []
        self.budget = MAX_VALUES_PER_DOCUMENT
        self.active: set[int] = set()

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.file, *position(node))

    def problem(self, node: yaml.Node, path: Path, message: str, hint: str = "") -> None:
        self.problems.append(Diagnostic(self.loc(node), message, path=format_path(path), hint=hint))

    def spend(self, node: yaml.Node) -> None:
        """Count one more value; stop the document when aliases blow it up, or loop."""
        self.budget -= 1
        if self.budget < 0:
            raise Limit(
                self.loc(node),
                f"document expands to more than {MAX_VALUES_PER_DOCUMENT:,} values",
                "aliases (*name) and merge keys (<<) that repeat large anchors multiply; "
                "write the values out",
            )
        if id(node) in self.active:
            raise Limit(
                self.loc(node),
                "an alias refers to a node that contains it",
                "YAML allows such loops, but a spec must be a finite tree",
            )

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.spend(node)
        if len(path) > MAX_DEPTH:
            raise Limit(self.loc(node), f"nesting deeper than {MAX_DEPTH} levels")
        if path not in self.values:
            self.values[path] = position(node)
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
            self.problem(node, path, f"{quote(node.value)} is not a valid {node.tag[len(T) :]}")
            return None

    def mapping(
        self, node: yaml.MappingNode, path: Path, into: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The mapping's own keys first, then what `<<` merges in under keys not yet set.

        Merged values are built straight at the path where they end up, so positions need
        no copying and every merged value counts against the budget like any other. A key
        a merge visits but does not take (one written nearer already won) is counted too:
        visiting it is work, and merging the same large anchor many times over would
        otherwise be free.
        """
        out: dict[str, Any] = {} if into is None else into
        own: dict[str, Position] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            key = self.key(key_node, path)
            if key is None or key in own or key in out:
                self.spend(key_node)  # visited, though nothing is built for it
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
            own[key] = position(key_node)
            if key in out:  # merging: a key written nearer already won
                continue
            self.keys.setdefault(child, own[key])
            out[key] = self.build(value_node, child)
        for merge in merges:
            self.merge(merge, path, out)
        return out

    def key(self, node: yaml.Node, path: Path) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == STR:
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


def position(node: yaml.Node) -> Position:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


_TAG_HINT = "spec files hold plain data: strings, numbers, booleans, lists and mappings"


def _shown_tag(tag: str) -> str:
    """`tag:yaml.org,2002:python/object` -> `!!python/object`, as it is written."""
    return "!!" + tag[len(T) :] if tag.startswith(T) else tag


def node_count(root: yaml.Node) -> int:
    """How many nodes YAML built for a document (each once, however many aliases name it)."""
    seen = {id(root)}
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        children = (
            [part for pair in node.value for part in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
        )
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                pending.append(child)
    return len(seen)


def kind_and_name(node: yaml.Node) -> tuple[str, str]:
    """`kind` and `metadata.name` of a document refused whole, read from its top level only,
    so that references to it are not called unknown."""
    kind = name = ""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "kind" and isinstance(value, yaml.ScalarNode):
                kind = str(value.value)
            elif key.value == "metadata" and isinstance(value, yaml.MappingNode):
                for inner_key, inner in value.value:
                    if inner_key.value == "name" and isinstance(inner, yaml.ScalarNode):
                        name = str(inner.value)
    return kind, name
