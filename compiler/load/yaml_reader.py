"""Reading one spec file: text, documents, and what could not be read.

PyYAML's composer (the C one when libyaml is present) gives nodes with marks; we build the
plain data ourselves (`compiler.load.build`) instead of using a constructor. Before YAML
reads a file, its documents are counted and measured (YAML builds a document's every node
at once), and each document draws on the run's budget (`compiler.load.limits`).

Most documents are plain data, read by the lean walk without positions; their positions
are recorded only when a message first needs one, by composing the file again
(`SourceDocument.locate`).
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from compiler.errors import Diagnostic, Location
from compiler.load.build import (
    Builder,
    Limit,
    NotPlain,
    Plain,
    kind_and_name,
    node_count,
    position,
)
from compiler.load.limits import (
    MAX_DEPTH,
    MAX_DOCUMENT_CHARACTERS,
    MAX_DOCUMENTS_PER_FILE,
    MAX_FILE_BYTES,
    MAX_VALUES_PER_DOCUMENT,
    SPLIT_HINT,
    Budget,
    MiB,
)
from compiler.load.source import Path, Position, SourceDocument

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "FileRead", "Unread", "read_file", "read_yaml"]

_T = "tag:yaml.org,2002:"
_BASE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Tags of plain scalars already resolved, by their text (a fleet repeats the same few
# values); at most this many are kept.
_TAGS: dict[str, str] = {}
_TAGS_KEPT = 10_000


class _Loader(_BASE_LOADER):  # type: ignore[misc]
    """The C composer with cheaper tag resolution: the composer asks for the tag of every
    value, and resolving a plain scalar's tag runs regular expressions on its text."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_TAGS) < _TAGS_KEPT:
                    _TAGS[value] = tag
            return tag
        return str(super().resolve(kind, value, implicit))

    # Path resolvers are never registered, so these do nothing; the composer calls them for
    # every node, and a C function that ignores its arguments is far cheaper than a Python one.
    descend_resolver: Callable[..., object] = {}.get
    ascend_resolver: Callable[..., object] = {}.clear


_LOADER: type[Any] = _Loader


@dataclass(frozen=True, slots=True)
class Unread:
    """A spec file whose documents could not all be read, and so may define documents that
    other documents refer to. `words` are the names written in what could be decoded of it
    (None: nothing could be), so a reference to a name it does not even mention is still
    checked."""

    file: str
    reason: str
    words: frozenset[str] | None = None

    def may_define(self, name: str) -> bool:
        return self.words is None or name in self.words


def words_of(text: str) -> frozenset[str]:
    """Everything in `text` that could be a name of the spec language."""
    return frozenset(_WORD.findall(text))


_WORD = re.compile(r"[a-z][a-z0-9-]*")


@dataclass
class FileRead:
    """What reading one file gave: its documents, its problems, and, when some of it could
    not be read, what that means for the checks of other files."""

    documents: list[SourceDocument] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    unread: Unread | None = None
    # (kind, name) of documents refused whole (over a limit): written, but not readable.
    refused: set[tuple[str, str]] = field(default_factory=set)


def too_large(file: str, size: int) -> Diagnostic:
    """The diagnostic for a file over MAX_FILE_BYTES (checked before it is read)."""
    return Diagnostic(
        Location(file),
        f"file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes "
        f"({MAX_FILE_BYTES // MiB} MiB) for one spec file",
        hint="split it into several files; every *.yaml under the spec folder is read",
    )


def read_yaml(file: str, raw: bytes) -> tuple[list[SourceDocument], list[Diagnostic]]:
    """All documents of one file, or the problems that stop it from being read."""
    found = read_file(file, raw, Budget())
    return found.documents, found.problems


def read_file(file: str, raw: bytes, budget: Budget) -> FileRead:
    """All documents of one file and its problems, drawing on the run's `budget`."""
    found = FileRead()
    if len(raw) > MAX_FILE_BYTES:
        found.problems.append(too_large(file, len(raw)))
        found.unread = Unread(file, "the file is over the size limit")
        return found
    text = _decode(file, raw)
    if isinstance(text, Diagnostic):
        found.problems.append(text)
        found.unread = Unread(
            file, "the file is not UTF-8 text", words_of(raw.decode(errors="replace"))
        )
        return found
    refused = _over_limits(file, text)
    if refused is not None:
        return refused
    located = _Locator(file, text)
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_LOADER)):
            if not budget.take_document():
                _stop(found, file, text, node, budget)
                break
            if node is None or _empty(node):
                continue
            if not _read_document(found, located, index, node, budget):
                _stop(found, file, text, node, budget)
                break
    except yaml.MarkedYAMLError as exc:
        found.problems.append(_syntax_problem(file, text, exc))
        found.unread = Unread(file, "the file has a syntax error", words_of(text))
    except yaml.YAMLError as exc:  # errors without a mark: rare, but never a traceback
        found.problems.append(Diagnostic(Location(file), f"invalid YAML: {exc}"))
        found.unread = Unread(file, "the file is not valid YAML", words_of(text))
    except RecursionError:
        found.problems.append(Diagnostic(Location(file), "YAML is nested too deeply to read"))
        found.unread = Unread(file, "the file is nested too deeply to read", words_of(text))
    return found


# A line that starts a document. It cannot occur inside a value: YAML reserves `---` at the
# start of a line for this.
_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)


def _over_limits(file: str, text: str) -> FileRead | None:
    """The file refused whole, before YAML reads it, when it has too many documents or one
    that is too long (YAML builds a document's every node at once, whatever its budget)."""
    starts = [match.start() for match in _DOCUMENT_START.finditer(text)]
    message = ""
    if len(starts) > MAX_DOCUMENTS_PER_FILE:
        at = starts[MAX_DOCUMENTS_PER_FILE]
        message = (
            f"file holds more than {MAX_DOCUMENTS_PER_FILE:,} documents, over the limit for "
            "one spec file; none of them was read"
        )
    else:
        bounds = [0, *starts, len(text)]
        longest = max(itertools.pairwise(bounds), key=lambda span: span[1] - span[0])
        at = longest[0]
        length = longest[1] - longest[0]
        if length > MAX_DOCUMENT_CHARACTERS:
            message = (
                f"document is {length:,} characters long, over the limit of "
                f"{MAX_DOCUMENT_CHARACTERS:,} for one document; the file was not read"
            )
    if not message:
        return None
    line = text.count("\n", 0, at) + 1
    problem = Diagnostic(
        Location(file, line, 1),
        message,
        hint="split it into several files; every *.yaml under the spec folder is read",
    )
    return FileRead(
        problems=[problem], unread=Unread(file, "the file is over the limits", words_of(text))
    )


def _stop(found: FileRead, file: str, text: str, node: yaml.Node | None, budget: Budget) -> None:
    """The run's budget ran out inside this file: the rest of it is not read."""
    where = Location(file, *position(node)) if node is not None else Location(file)
    found.problems.append(
        Diagnostic(
            where,
            f"{budget.spent}, over the limit for one run; this document and what follows "
            "were not read",
            hint=SPLIT_HINT,
        )
    )
    found.unread = Unread(file, "the run's limits were reached in it", words_of(text))


def _read_document(
    found: FileRead, located: _Locator, index: int, node: yaml.Node, budget: Budget
) -> bool:
    """Add one document to `found`; False when the run's budget of values ran out."""
    file = located.file
    plain = Plain()
    try:
        data = plain.value(node, 0)
    except NotPlain:
        pass
    except RecursionError:
        found.problems.append(
            Diagnostic(Location(file, *position(node)), "document is nested too deeply")
        )
        found.refused.add(kind_and_name(node))
        return True
    else:
        if not budget.take_values(MAX_VALUES_PER_DOCUMENT - plain.left):
            return False
        document = _plain_document(located, index, node, data)
        found.documents.append(document)
        return True
    builder = Builder(file)
    try:
        data = builder.build(node, ())
    except Limit as limit:
        found.problems.append(Diagnostic(limit.location, limit.message, hint=limit.hint))
        found.refused.add(kind_and_name(node))
        # Charged with all that YAML built for it, which the builder did not walk to the end.
        return budget.take_values(max(node_count(node), MAX_VALUES_PER_DOCUMENT - builder.budget))
    except RecursionError:
        found.problems.append(Diagnostic(builder.loc(node), "document is nested too deeply"))
        found.refused.add(kind_and_name(node))
        return True
    if not budget.take_values(MAX_VALUES_PER_DOCUMENT - builder.budget):
        return False
    document = SourceDocument(
        file,
        index,
        data,
        builder.loc(node),
        builder.values,
        builder.keys,
        broken=frozenset(p.path for p in builder.problems),
    )
    found.documents.append(document)
    found.problems.extend(replace(p, doc=document.label) for p in builder.problems)
    return True


def _plain_document(located: _Locator, index: int, node: yaml.Node, data: Any) -> SourceDocument:
    """A document the lean walk read: the position of `metadata.name` now (lifecycle checks
    against a base name every tenant by it), every other one when first asked for."""
    values: dict[Path, Position] = {(): position(node)}
    keys: dict[Path, Position] = {}
    if node.__class__ is yaml.MappingNode:
        for key, value in node.value:
            if key.value == "metadata" and value.__class__ is yaml.MappingNode:
                for inner_key, inner in value.value:
                    if inner_key.value == "name":
                        values["metadata", "name"] = position(inner)
                        keys["metadata", "name"] = position(inner_key)
    document = SourceDocument(
        located.file,
        index,
        data,
        Location(located.file, *position(node)),
        values,
        keys,
        locate=located.locate,
    )
    located.add(document)
    return document


class _Locator:
    """Records the positions of a file's plain documents, all at once, when one of them is
    first asked for one: compose the file again and let the careful builder walk each.

    Each document holds its locator (`SourceDocument.locate`), and the locator holds the
    documents weakly: a strong reference both ways would be a cycle, which only the cyclic
    collector frees, and a compile pauses it (`compiler.pipeline`), so every document of a
    fleet, with its data, would live until the compile ends."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self.documents: dict[int, weakref.ref[SourceDocument]] = {}

    def add(self, document: SourceDocument) -> None:
        self.documents[document.index] = weakref.ref(document)

    def locate(self) -> None:
        found, self.documents = self.documents, {}
        documents = {i: d for i, ref in found.items() if (d := ref()) is not None}
        last = max(documents, default=-1)
        try:
            for index, node in enumerate(yaml.compose_all(self.text, Loader=_LOADER)):
                document = documents.get(index)
                if document is not None:
                    builder = Builder(self.file)
                    builder.build(node, ())
                    document.values.update(builder.values)
                    document.keys.update(builder.keys)
                if index >= last:
                    break
        except (yaml.YAMLError, Limit, RecursionError):  # read once already: cannot happen
            pass
        finally:
            for document in documents.values():
                object.__setattr__(document, "locate", None)


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
