"""`drift` and `apply`: compare a live database with a compiled target, and converge it.

`apply` runs in one transaction. It first locks `paybill.apply_lock`, a table in a schema
no tenant, agent or profile role may even name (so none of them can take or hold that lock,
as anyone could an advisory lock's key), and which the first apply of a database creates;
two applies of the same database wait for each other. It reads the catalogs after taking
the lock, so what it changes is exactly the difference it computed; any error rolls
everything back. Every wait for a lock is bounded by `lock_timeout` (exit 3 past it, with
nothing changed): a session holding a lock on a table apply must alter can delay it, never
stall it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import psycopg
import pydantic

from compiler.emit.sql import statements as st
from compiler.emit.sql.policies import with_policies
from compiler.emit.sql.quote import Sql
from compiler.emit.sql.runs import APPLY_LOCK, INTERNAL_TABLES
from compiler.emit.sql.runtime import (
    RUNTIME_FOLDER,
    RUNTIME_VERSION,
    TARGET_VERSION,
    Mismatch,
    assemble,
    runtime_from_json,
    target_from_json,
)
from compiler.emit.sql.state import (
    INTERNAL_SCHEMA,
    OWNER_COMMENT,
    STATE_FILE,
    TENANT_SCHEMA_VERSION,
    TENANTS_FOLDER,
    TargetState,
    TenantPart,
    tenant_from_json,
)
from compiler.errors import EnvironmentProblem
from compiler.sqlops import catalog, catalog_runs, surface
from compiler.sqlops.catalog import LiveState
from compiler.sqlops.connect import connect, scrub
from compiler.sqlops.files import target_folder
from compiler.sqlops.plan import Change, diff, statements

T = TypeVar("T")
DEFAULT_LOCK_TIMEOUT = 30.0  # seconds


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
    """The compiled desired state of `target` under `generated`: the shared runtime
    (`sql/shared/state.json`), the target's role names (`sql/<target>/state.json`) and the
    part of every tenant in `tenants/`."""
    folder = generated / "sql"
    path = target_folder(generated, target) / STATE_FILE
    runtime_path = folder / RUNTIME_FOLDER / STATE_FILE
    if not runtime_path.is_file():
        raise EnvironmentProblem(
            f"{runtime_path} is missing: the SQL every target shares is not there; compile again"
        )
    runtime = _read(runtime_path, runtime_from_json, RUNTIME_VERSION)
    own = _read(path, target_from_json, TARGET_VERSION)
    if own.target != target:
        raise EnvironmentProblem(f"{path} describes target '{own.target}', not '{target}'")
    try:
        shared = assemble(runtime, own)
    except Mismatch as exc:
        raise EnvironmentProblem(
            f"{path} and {runtime_path} were not compiled together ({exc}): compile again"
        ) from None
    parts: list[TenantPart] = []
    for part_path in sorted((folder / target / TENANTS_FOLDER).glob("*.json")):
        part = with_policies(_read(part_path, tenant_from_json, TENANT_SCHEMA_VERSION), shared)
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


def drift(dsn: str, state: TargetState, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Outcome:
    """The differences, read in one read-only snapshot; nothing is changed."""
    with connect(dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            conn.execute(st.lock_timeout(lock_timeout).encode())
            try:
                changes = diff(state, _live(conn, state))
            except psycopg.errors.LockNotAvailable:
                raise EnvironmentProblem(_waited("drift", state.target, lock_timeout)) from None
    return Outcome(state, changes, statements(state, changes))


def _live(conn: psycopg.Connection[Any], state: TargetState) -> LiveState:
    live = catalog.read(conn, state)
    catalog_runs.read(conn, state, live)
    surface.read(conn, state, live)
    return live


def apply(
    dsn: str,
    state: TargetState,
    *,
    dry_run: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Outcome:
    """Converge the database to `state` in one transaction (or, dry run, say how)."""
    if dry_run:
        return drift(dsn, state, lock_timeout=lock_timeout)
    with connect(dsn) as conn, conn.transaction():
        conn.execute(st.lock_timeout(lock_timeout).encode())
        _lock(conn, dsn, state, lock_timeout)
        changes = diff(state, _live(conn, state))
        sql = statements(state, changes)
        for statement in sql:
            _run(conn, statement, dsn, state.target, lock_timeout)
    return Outcome(state, changes, sql)


def _lock(conn: psycopg.Connection[Any], dsn: str, state: TargetState, timeout: float) -> None:
    """Lock the target against other applies; the first apply of a database creates the
    table it locks (the owner role, its schema), and a second one started at that very
    moment stops at the catalog's unique names and is told to run again."""
    found = conn.execute(
        "SELECT pg_catalog.to_regclass(%s) IS NOT NULL",
        [f'"{INTERNAL_SCHEMA}"."{APPLY_LOCK}"'],
    ).fetchone()
    statements_ = []
    if not (found and found[0]):
        table = next(t for t in INTERNAL_TABLES if t.name == APPLY_LOCK)
        statements_ = [
            st.create_role_if_missing(state.owner),
            st.comment_on_role(state.owner, OWNER_COMMENT),
            st.let_applier_own(state.owner),
            st.create_schema(INTERNAL_SCHEMA, state.owner),
            st.create_table(table),
            st.alter_table_owner(table.schema, table.name, state.owner),
        ]
    statements_.append(st.lock_table(INTERNAL_SCHEMA, APPLY_LOCK))
    for statement in statements_:
        try:
            conn.execute(statement.encode())
        except psycopg.errors.LockNotAvailable:
            raise EnvironmentProblem(
                f"apply of target '{state.target}' changed nothing: another paybill sql apply "
                f"of this database held its lock for more than {_seconds(timeout)}; run it "
                "again once that one has finished (or raise --lock-timeout)"
            ) from None
        except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateObject):
            raise EnvironmentProblem(
                f"apply of target '{state.target}' changed nothing: another paybill sql apply "
                "was setting up this database at the same moment; run it again"
            ) from None
        except psycopg.Error as exc:
            _raise(exc, statement, dsn, state.target)


def _seconds(timeout: float) -> str:
    return f"{timeout:g} s"


def _waited(action: str, target: str, timeout: float) -> str:
    return (
        f"{action} of target '{target}' changed nothing: it waited more than "
        f"{_seconds(timeout)} for a lock that another session holds (pg_locks shows which; "
        "pg_stat_activity what it runs); run it again once that session has finished, or "
        "raise --lock-timeout"
    )


def _run(
    conn: psycopg.Connection[Any], statement: Sql, dsn: str, target: str, timeout: float
) -> None:
    try:
        conn.execute(statement.encode())
    except psycopg.errors.LockNotAvailable:
        message = _waited("apply", target, timeout)
        raise EnvironmentProblem(f"{message}\n  while running: {statement}") from None
    except psycopg.Error as exc:
        _raise(exc, statement, dsn, target)


def _raise(exc: psycopg.Error, statement: Sql, dsn: str, target: str) -> NoReturn:
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
