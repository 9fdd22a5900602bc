"""`drift` and `apply`: compare a live database with a compiled target, and converge it.

`apply` runs in one transaction under an advisory lock (two applies of the same target
wait for each other), reading the catalogs after taking the lock, so what it changes is
exactly the difference it computed; any error rolls everything back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psycopg
import pydantic

from compiler.emit.sql.quote import Sql
from compiler.emit.sql.state import (
    SCHEMA_VERSION,
    STATE_FILE,
    TENANT_SCHEMA_VERSION,
    TENANTS_FOLDER,
    TargetState,
    TenantPart,
    shared_from_json,
    tenant_from_json,
)
from compiler.errors import EnvironmentProblem, UsageError
from compiler.sqlops import catalog
from compiler.sqlops.connect import connect, scrub
from compiler.sqlops.plan import Change, diff, statements

T = TypeVar("T")
_TARGET = re.compile(r"^(pool|tenant)-[a-z0-9][a-z0-9-]*$")
LOCK_PREFIX = "paybill sql apply "


@dataclass(frozen=True)
class Outcome:
    state: TargetState
    changes: list[Change]
    sql: list[Sql]  # what apply ran, or (dry run) would run

    @property
    def applicable(self) -> list[Change]:
        return [c for c in self.changes if c.sql]

    @property
    def left(self) -> list[Change]:
        """Differences apply does not change (they need a migration)."""
        return [c for c in self.changes if not c.sql]


def load_state(generated: Path, target: str) -> TargetState:
    """The compiled desired state of `target` under `generated`: its shared `state.json`
    and the part of every tenant in `tenants/`."""
    if not _TARGET.match(target):
        raise UsageError(
            f"--target '{target}' is not a target name (pool-<pool> or tenant-<tenant>)"
        )
    folder = generated / "sql"
    path = folder / target / STATE_FILE
    if not path.is_file():
        known = sorted(p.parent.name for p in folder.glob(f"*/{STATE_FILE}"))
        listed = ", ".join(known) if known else "none; run: paybill compile"
        raise UsageError(f"no compiled SQL target '{target}' in {folder} (targets: {listed})")
    shared = _read(path, shared_from_json, SCHEMA_VERSION)
    if shared.target != target:
        raise EnvironmentProblem(f"{path} describes target '{shared.target}', not '{target}'")
    parts: list[TenantPart] = []
    for part_path in sorted((folder / target / TENANTS_FOLDER).glob("*.json")):
        part = _read(part_path, tenant_from_json, TENANT_SCHEMA_VERSION)
        if part.target != target or part_path.stem != part.tenant:
            raise EnvironmentProblem(
                f"{part_path} describes tenant '{part.tenant}' of target '{part.target}', not "
                f"'{part_path.stem}' of '{target}': compile again"
            )
        parts.append(part)
    return TargetState.of(shared, parts)


def _read(path: Path, parse: Callable[[bytes], T], version: str) -> T:
    try:
        return parse(path.read_bytes())
    except (OSError, pydantic.ValidationError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a valid state file"
        raise EnvironmentProblem(
            f"{path} cannot be used ({reason}); it must be a {version} file written by "
            "paybill compile: compile again"
        ) from None


def drift(dsn: str, state: TargetState) -> Outcome:
    """The differences, read in one read-only snapshot; nothing is changed."""
    with connect(dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            changes = diff(state, catalog.read(conn, state))
    return Outcome(state, changes, statements(state, changes))


def apply(dsn: str, state: TargetState, *, dry_run: bool = False) -> Outcome:
    """Converge the database to `state` in one transaction (or, dry run, say how)."""
    if dry_run:
        return drift(dsn, state)
    with connect(dsn) as conn, conn.transaction():
        conn.execute(
            "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(%s))",
            [LOCK_PREFIX + state.target],
        )
        changes = diff(state, catalog.read(conn, state))
        sql = statements(state, changes)
        for statement in sql:
            _run(conn, statement, dsn, state.target)
    return Outcome(state, changes, sql)


def _run(conn: psycopg.Connection[object], statement: Sql, dsn: str, target: str) -> None:
    try:
        conn.execute(statement.encode())
    except psycopg.Error as exc:
        diag = exc.diag
        reason = diag.message_primary or str(exc)
        detail = f" ({diag.message_detail})" if diag.message_detail else ""
        hint = f"; {diag.message_hint}" if diag.message_hint else ""
        if isinstance(exc, psycopg.errors.DependentObjectsStillExist):
            hint = (
                "; the role is no longer in the spec but still holds privileges on objects "
                "paybill does not manage: revoke those by hand, then apply again"
            )
        raise EnvironmentProblem(
            scrub(
                f"apply of target '{target}' failed and changed nothing: {reason}{detail}{hint}\n"
                f"  while running: {statement}",
                dsn,
            )
        ) from None
