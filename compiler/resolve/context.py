"""What every resolve pass shares: the parsed spec and one place to report problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from compiler.dsl import Document, Parsed, ParsedSpec
from compiler.errors import Collector, Diagnostic, did_you_mean
from compiler.load import Path, format_path

# What `unknown()` calls a referenced document -> its kind.
_KIND_OF = {
    "plan": "Plan",
    "tenant": "Tenant",
    "table": "Table",
    "tool": "Tool",
    "agent": "Agent",
    "workflow": "Workflow",
}


@dataclass
class Context:
    """The parsed spec, and the problems found so far (parsing's first)."""

    spec: ParsedSpec
    problems: Collector = field(default_factory=Collector)

    def __post_init__(self) -> None:
        self.problems.extend(self.spec.problems)

    def is_invalid(self, kind: str, name: str | None = None) -> bool:
        """Whether a document of `kind` (named `name`, or any) was written but failed to parse.

        Such a document has its own diagnostics; references to it are not "unknown".
        """
        return any(k == kind and name in (None, n) for k, n in self.spec.invalid)

    def error(
        self,
        doc: Parsed[Document],
        path: Path,
        message: str,
        hint: str = "",
        *,
        on_key: bool = False,
    ) -> None:
        source = doc.source
        where = source.key_at(*path) if on_key else source.at(*path)
        self.problems.add(Diagnostic(where, message, source.label, format_path(path), hint))

    def missing(self, doc: Parsed[Document], path: Path, message: str, hint: str = "") -> None:
        """A field that must be written but is not: shown at the key of the mapping lacking
        it (`spec:` for `spec.pool`), as the parser shows its missing fields."""
        source = doc.source
        where = source.key_at(*path[:-1]) if len(path) > 1 else source.start
        self.problems.add(Diagnostic(where, message, source.label, format_path(path), hint))

    def unknown(
        self,
        doc: Parsed[Document],
        path: Path,
        what: str,
        name: str,
        known: Iterable[str],
        extra_hint: str = "",
    ) -> None:
        """ "unknown plan 'prp' (did you mean 'pro'?)" — the most common reference error."""
        kind = _KIND_OF.get(what)
        if kind is not None and self.is_invalid(kind, name):
            return
        known = sorted(known)
        hint = did_you_mean(name, known)
        if not hint:
            hint = extra_hint or (
                f"known: {', '.join(known[:8])}{', ...' if len(known) > 8 else ''}"
                if known
                else f"no {what} is defined yet"
            )
        self.error(doc, path, f"unknown {what} '{name}'", hint)
