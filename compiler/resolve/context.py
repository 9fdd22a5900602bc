"""What every resolve pass shares: the parsed spec and one place to report problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from compiler.dsl import Document, Parsed, ParsedSpec
from compiler.errors import Collector, Diagnostic, did_you_mean
from compiler.load import Path, format_path


@dataclass
class Context:
    spec: ParsedSpec
    problems: Collector = field(default_factory=Collector)

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
        known = sorted(known)
        hint = did_you_mean(name, known)
        if not hint:
            hint = extra_hint or (
                f"known: {', '.join(known[:8])}{', ...' if len(known) > 8 else ''}"
                if known
                else f"no {what} is defined yet"
            )
        self.error(doc, path, f"unknown {what} '{name}'", hint)
