"""Operate only what the spec compiles to: before planning, applying or checking drift, the
compiled output is checked against the spec (as `paybill compile --check` does, in
proportion to what changed). Output that a hand edited, or that a newer spec no longer
produces, is refused rather than applied."""

from __future__ import annotations

from pathlib import Path

from compiler.errors import PaybillError, UsageError
from compiler.load.discover import DEFAULT_SPEC
from compiler.pipeline import compile_spec


class StaleOutput(PaybillError):
    """The output is not what the spec compiles to: refused (exit 1)."""

    exit_code = 1


def require_current(spec_dir: Path, generated: Path) -> None:
    """Refuse output that is not current. Without a spec folder (a repository that keeps only
    the output, or the default `spec` missing), there is nothing to check against."""
    if not spec_dir.is_dir():
        if spec_dir == Path(DEFAULT_SPEC):
            return
        raise UsageError(f"spec folder '{spec_dir}' does not exist")
    result = compile_spec(spec_dir, generated, check=True)
    if result.changes:
        listed = "\n".join(c.render() for c in result.changes[:20])
        more = len(result.changes) - 20
        tail = f"\n  … and {more} more" if more > 0 else ""
        raise StaleOutput(
            f"{generated} is not what {spec_dir} compiles to ({len(result.changes)} files "
            f"differ):\n{listed}{tail}\nrun: paybill compile {spec_dir} --out {generated}, "
            "review and commit the result"
        )
