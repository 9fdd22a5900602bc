"""What every resolve pass shares: the parsed spec and one place to report problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from compiler.dsl import Document, Parsed, ParsedSpec
from compiler.errors import Collector, Diagnostic, Location, did_you_mean
from compiler.load import Path, format_path

# What `unknown()` calls a referenced document -> its kind.
_KIND_OF = {
    "plan": "Plan",
    "tenant": "Tenant",
    "table": "Table",
    "tool": "Tool",
    "agent": "Agent",
    "workflow": "Workflow",
    "billing provider": "BillingProvider",
}


# References checked within the document that is read (step ids) or the Platform (pools):
# a file that could not be read cannot hold what they name.
_LOCAL = frozenset({"step", "pool"})
# How many unchecked references a note lists before "and N more".
_LISTED = 5


@dataclass
class Context:
    """The parsed spec, and the problems found so far (parsing's first)."""

    spec: ParsedSpec
    problems: Collector = field(default_factory=Collector)
    # unread file -> the checks left undone because of it ("plan 'pro' of Tenant/acme")
    undone: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.problems.extend(self.spec.problems)

    def unchecked(self, name: str, item: str) -> bool:
        """Whether `name` may be defined in a file that could not be read. If so, the check
        (`item`, as a note names it) is recorded as not done, and the caller skips it."""
        files = [unread.file for unread in self.spec.unread if unread.may_define(name)]
        for file in files:
            self.undone.setdefault(file, []).append(item)
        return bool(files)

    def report_unchecked(self) -> None:
        """One note per unreadable file that left references unchecked, listing them."""
        reasons = {unread.file: unread.reason for unread in self.spec.unread}
        for file, items in sorted(self.undone.items()):
            listed = ", ".join(items[:_LISTED])
            if len(items) > _LISTED:
                listed += f" and {len(items) - _LISTED} more"
            self.problems.add(
                Diagnostic(
                    Location(file),
                    f"{reasons[file]}, so references that may be to documents in it were "
                    f"not checked: {listed}",
                    hint="fix it, then run again",
                )
            )

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
        if what not in _LOCAL and self.unchecked(name, f"{what} '{name}' of {doc.source.label}"):
            return
        known = sorted(known)
        hint = did_you_mean(name, known)
        if not hint:
            hint = extra_hint or (
                f"known: {', '.join(known[:8])}{', ...' if len(known) > 8 else ''}"
                if known
                else f"no {what} could be read"
                if self.spec.unread
                else f"no {what} is defined yet"
            )
        self.error(doc, path, f"unknown {what} '{name}'", hint)
