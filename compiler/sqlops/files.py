"""The SQL files that build a target, in the order a database applies them.

The files of the shared runtime (`sql/shared/`) and of the target's own folder
(`sql/<target>/`, its `tenants/` included), together, in lexical order of their path
relative to their own folder. The compiler never writes one name into both folders, so the
order is total; a name found in both is an error here, not a guess. This is what
`paybill sql files` prints, for a deployment that applies the files with psql.
"""

from __future__ import annotations

import re
from pathlib import Path

from compiler.emit.sql.runtime import RUNTIME_FOLDER
from compiler.emit.sql.state import STATE_FILE
from compiler.errors import EnvironmentProblem, UsageError

_TARGET = re.compile(r"^(pool|tenant)-[a-z0-9][a-z0-9-]*$")


def target_folder(generated: Path, target: str) -> Path:
    """`generated/sql/<target>`, once `target` is known to be a compiled target's name."""
    if not _TARGET.match(target):
        raise UsageError(
            f"--target '{target}' is not a target name (pool-<pool> or tenant-<tenant>)"
        )
    folder = generated / "sql"
    if not (folder / target / STATE_FILE).is_file():
        known = sorted(
            p.parent.name for p in folder.glob(f"*/{STATE_FILE}") if _TARGET.match(p.parent.name)
        )
        listed = ", ".join(known) if known else "none; run: paybill compile"
        raise UsageError(f"no compiled SQL target '{target}' in {folder} (targets: {listed})")
    return folder / target


def apply_order(generated: Path, target: str) -> list[Path]:
    """Every `.sql` file that builds `target`, in the order to apply them."""
    own = target_folder(generated, target)
    shared = generated / "sql" / RUNTIME_FOLDER
    found: dict[str, Path] = {}
    for folder, pattern in ((shared, "*.sql"), (own, "**/*.sql")):
        if not folder.is_dir():
            raise EnvironmentProblem(f"{folder} is missing: compile again")
        for path in folder.glob(pattern):
            relative = path.relative_to(folder).as_posix()
            if relative in found:
                raise EnvironmentProblem(
                    f"{relative} is both in {shared} and in {own}: the order of the two is not "
                    "defined; compile again"
                )
            found[relative] = path
    return [found[relative] for relative in sorted(found)]
