"""Stage 5: pure functions from (resolved model, graph) to artifacts. No file access here.

This package's face is what every stage shares: the artifact types and digests. The output
families and the calls the pipeline makes over all of them are `compiler.emit.families`,
imported by a compile only (so `validate` never loads the emitters and their templates).
"""

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

__all__ = [
    "Artifact",
    "Family",
    "Output",
    "Prepared",
    "Recorded",
    "Reuse",
    "canonical_json",
    "fingerprint",
]
