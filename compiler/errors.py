"""Errors for people.

Every user-facing problem is a `Diagnostic` that names where it is (file:line:column), which
document (`Kind/name`), which field (`spec.plan`), what is wrong and, where we can tell, what
to do. Stages collect diagnostics and raise them together as one `SpecError`, so a run reports
every problem at once instead of the first one.

Exit codes (see `compiler.cli`): 1 spec errors, 2 usage, 3 environment.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# A run prints at most this many problems, then how many more there are in each file: a
# broken fleet would otherwise print a hundred thousand lines into a CI log.
PRINTED_PROBLEMS = 200
# Files named, most problems first, in the summary of the problems not printed.
SUMMARISED_FILES = 20
# A value quoted in a message: at most its first line, cut to this many characters. A
# spec file may be a hard link to anything (/etc/passwd); its text must not reach a log.
QUOTED_CHARACTERS = 200


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a spec file; line and column are 1-based, as editors show them."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the spec."""

    location: Location
    message: str
    doc: str = ""
    path: str = ""
    hint: str = ""
    # True when the cause is the machine rather than the spec (a folder that cannot be
    # read, a named pipe among the spec files): the run then ends with exit code 3.
    environment: bool = False

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (
            self.location.file,
            self.location.line,
            self.location.column,
            self.path,
            self.message,
        )

    def render(self) -> str:
        """One line; anything a terminal or CI log would interpret is shown escaped."""
        head = f"{self.location}:"
        subject = " ".join(part for part in (self.doc, self.path) if part)
        text = f"{head} {subject}: {self.message}" if subject else f"{head} {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return escape(text)


def escape(text: str) -> str:
    r"""`text` with every character that is not printable shown as a Python escape.

    Control characters (newlines, ESC sequences), bidirectional overrides and other format
    characters (U+202E, U+2066, zero-width ones), line separators and non-ASCII spaces come
    from the spec's names and values into messages; printed raw, they could forge lines in a
    CI log or make text read differently than it is. `\n` -> `\\n`, U+202E -> `\\u202e`.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    named = _NAMED.get(char)
    if named is not None:
        return named
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class PaybillError(Exception):
    """Root of every error the compiler raises on purpose."""

    exit_code = 1


@dataclass
class SpecError(PaybillError):
    """The spec has problems; carries all of them, sorted by file and position.

    Exit code 1, or 3 when some of them are the environment's (files that could not be
    read): what was checked is reported either way, but the spec was not seen whole.
    """

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.diagnostics = sorted(self.diagnostics, key=Diagnostic.sort_key)
        if any(d.environment for d in self.diagnostics):
            self.exit_code = EnvironmentProblem.exit_code
        super().__init__(self.render())

    def render(self) -> str:
        """The first PRINTED_PROBLEMS problems, how many more there are by file, the count."""
        shown = self.diagnostics[:PRINTED_PROBLEMS]
        lines = [d.render() for d in shown]
        lines += _not_printed(self.diagnostics[PRINTED_PROBLEMS:])
        count = len(self.diagnostics)
        lines.append(f"{count:,} error{'s' if count != 1 else ''} found")
        return "\n".join(lines)


def _not_printed(rest: Sequence[Diagnostic]) -> list[str]:
    """`... and N more, by file:` then one line per file, the files with most first."""
    if not rest:
        return []
    per_file = Counter(d.location.file for d in rest)
    ranked = sorted(per_file.items(), key=lambda item: (-item[1], item[0]))
    lines = [f"... and {len(rest):,} more, by file:"]
    lines += [f"  {escape(file)}: {count:,}" for file, count in ranked[:SUMMARISED_FILES]]
    others = ranked[SUMMARISED_FILES:]
    if others:
        problems = sum(count for _, count in others)
        lines.append(f"  {len(others):,} more files: {problems:,}")
    lines.append("  (fix the problems above and run again to see the rest)")
    return lines


def quote(value: object) -> str:
    """`'value'` for a message: its first line only, at most QUOTED_CHARACTERS characters.

    What a message quotes comes from the spec, and a spec file can hold anything: a value
    that is cut ends in `…` and says how long it was.
    """
    text = str(value)
    first, newline, _ = text.partition("\n")
    if not newline and len(first) <= QUOTED_CHARACTERS:
        return f"'{text}'"
    lines = f", {text.count(chr(10)) + 1:,} lines" if newline else ""
    return f"'{first[:QUOTED_CHARACTERS]}…' ({len(text):,} characters{lines})"


class UsageError(PaybillError):
    """The command line was wrong (exit 2)."""

    exit_code = 2


class EnvironmentProblem(PaybillError):
    """Something outside the spec is missing or unreachable (exit 3): binaries, databases."""

    exit_code = 3


class Collector:
    """Gathers diagnostics across a stage; `raise_if_any` ends the stage if there were some."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics.extend(diagnostics)

    def __bool__(self) -> bool:
        return bool(self.diagnostics)

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise SpecError(self.diagnostics)


def closest(word: str, candidates: Sequence[str] | Iterable[str]) -> str:
    """The candidate closest to `word`, or an empty string when nothing is close."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else ""


def did_you_mean(word: str, candidates: Sequence[str] | Iterable[str]) -> str:
    """A hint naming the closest candidate, or an empty string when nothing is close."""
    match = closest(word, candidates)
    return f"did you mean '{match}'?" if match else ""
