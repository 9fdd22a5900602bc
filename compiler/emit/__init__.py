"""Stage 5: pure functions from (resolved model, graph) to artifacts. No file access here."""

from __future__ import annotations

from compiler.emit.artifact import (
    Artifact,
    Family,
    Output,
    Prepared,
    Recorded,
    Reuse,
    canonical_json,
    fingerprint,
)
from compiler.emit.families import FAMILIES, emit_all, input_digests, prepare_all

__all__ = [
    "FAMILIES",
    "Artifact",
    "Family",
    "Output",
    "Prepared",
    "Recorded",
    "Reuse",
    "canonical_json",
    "emit_all",
    "fingerprint",
    "input_digests",
    "prepare_all",
]
