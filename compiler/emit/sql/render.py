"""The SQL files of the runtime, of each target and of each tenant, and the one order in
which a database applies them.

    generated/sql/shared/        the runtime every target shares (node `runtime:sql`):
        00-owner.sql, 10-schema.sql, 15-runs.sql, 40-steps.sql   (render_shared.py)
    generated/sql/<target>/      what names the target's own roles (node `sql:<target>`):
        00-roles.sql, 20-grants.sql, 30-row-security.sql, 50-steps.sql   (render_target.py)
        tenants/<tenant>.sql     one per tenant (node `tenant:<tenant>`)

A target's database is built by the files of `shared/` and of `<target>/` together, applied
in lexical order of their path relative to their own folder:

    00-owner (shared), 00-roles, 10-schema (shared), 15-runs (shared), 20-grants,
    30-row-security, 40-steps (shared), 50-steps, tenants/<tenant>... (by name)

No name is in both folders (`FILE_ORDER` checks it), so the order is total, and a target's
own files keep the lexical order they always had. The interleaving is what lets the shared
files name no target role: the roles exist (00-roles) before the runtime's tables and
functions need their owner to be a member of them (15-runs replaces and drops functions the
steps role owns), the grants (20-grants) come once the tables and the run API exist, and
the step functions are given to the steps role (50-steps) once they exist (40-steps).

Each file is one transaction and may be applied again: roles and tables are created only
when missing, privileges and memberships are set to exactly what the spec says, policies
are dropped and created. What the files cannot know is what belonged to tenants that left
the target: `paybill sql apply` removes their roles too.
"""

from __future__ import annotations

from compiler.emit.sql.render_shared import SHARED_FILES, render_runtime
from compiler.emit.sql.render_target import TARGET_FILES, render_target, render_tenant
from compiler.emit.sql.state import TENANTS_FOLDER


def file_order() -> tuple[tuple[str, str], ...]:
    """(folder, name) of every file but the tenants', in the order they are applied:
    `shared` for the runtime's, `target` for the target's own. Tenants' files follow."""
    named = dict.fromkeys(SHARED_FILES, "shared")
    for name in TARGET_FILES:
        if name in named:
            raise AssertionError(f"{name} is both a shared and a target file")
        named[name] = "target"
    if any(name >= TENANTS_FOLDER for name in named):
        raise AssertionError("every shared and target file must sort before tenants/")
    return tuple((named[name], name) for name in sorted(named))


FILE_ORDER = file_order()

__all__ = ["FILE_ORDER", "render_runtime", "render_target", "render_tenant"]
