"""Compiling a spec's ACL family alone, into memory or a folder, for the ACL tests.

The tests call the family directly (load -> resolve -> graph -> acl emit) so that they test
the ACL output and nothing else of a compile; one end-to-end test goes through `paybill
compile` as a user would.
"""

from __future__ import annotations

from pathlib import Path

from compiler.emit import Artifact
from compiler.emit.acl import FAMILY
from compiler.graph import build_graph
from compiler.pipeline import validate


def acl_artifacts(spec_dir: Path) -> list[Artifact]:
    spec = validate(spec_dir)
    return [a for a in FAMILY.emit(spec, build_graph(spec), {}) if isinstance(a, Artifact)]


def write_artifacts(artifacts: list[Artifact], out: Path) -> Path:
    """Write `artifacts` under `out` (a stand-in for generated/) and return `out`."""
    for artifact in artifacts:
        target = out / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(artifact.content)
    return out


def compile_acl(spec_dir: Path, out: Path) -> Path:
    return write_artifacts(acl_artifacts(spec_dir), out)
