"""The apply journal: what happened to each node, so `--resume` runs only what is left.

Written after every node, next to the working copies (`<workdir>/journal.json`). A node
counts as done for a resume only when it was applied from exactly the files it has now (its
record's digests): output that changed since is applied again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Literal, get_args

import orjson

from compiler.emit.artifact import canonical_json
from compiler.errors import EnvironmentProblem

JOURNAL_VERSION = "paybill.dev/apply-journal/v1"
Outcome = Literal["applied", "failed", "refused", "skipped", "not started"]
OUTCOMES: frozenset[str] = frozenset(get_args(Outcome))


@dataclass
class Entry:
    outcome: Outcome
    message: str = ""
    digests: dict[str, str] = field(default_factory=dict)


@dataclass
class Journal:
    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock, repr=False)

    @classmethod
    def open(cls, path: Path, *, resume: bool) -> Journal:
        journal = cls(path)
        if resume:
            try:
                data = orjson.loads(path.read_bytes())
            except FileNotFoundError:
                raise EnvironmentProblem(
                    f"--resume: there is no journal at {path}; apply without --resume"
                ) from None
            except (OSError, orjson.JSONDecodeError) as exc:
                raise EnvironmentProblem(f"--resume: {path} cannot be read ({exc})") from None
            if not isinstance(data, dict) or data.get("schemaVersion") != JOURNAL_VERSION:
                raise EnvironmentProblem(f"--resume: {path} is not a {JOURNAL_VERSION} journal")
            for node, entry in (data.get("nodes") or {}).items():
                if isinstance(entry, dict) and entry.get("outcome") in OUTCOMES:
                    journal.entries[str(node)] = Entry(
                        outcome=entry["outcome"],
                        message=str(entry.get("message", "")),
                        digests=dict(entry.get("digests") or {}),
                    )
        return journal

    def done(self, node: str, digests: dict[str, str]) -> bool:
        """Whether `node` was applied from exactly these files."""
        entry = self.entries.get(node)
        return entry is not None and entry.outcome == "applied" and entry.digests == digests

    def record(self, node: str, outcome: Outcome, message: str, digests: dict[str, str]) -> None:
        with self._lock:
            self.entries[node] = Entry(outcome, message, digests)
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "schemaVersion": JOURNAL_VERSION,
            "nodes": {
                node: {"outcome": e.outcome, "message": e.message, "digests": e.digests}
                for node, e in sorted(self.entries.items())
            },
        }
        scratch = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        scratch.write_bytes(canonical_json(data))
        os.replace(scratch, self.path)

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.entries.values():
            counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
        return dict(sorted(counts.items()))
