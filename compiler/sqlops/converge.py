"""`drift` and `apply`: compare a live database with a compiled target, and converge it.

`apply` runs in one transaction. It first locks `paybill.apply_lock`, a table in a schema
no tenant, agent or profile role may even name (so none of them can take or hold that lock,
as anyone could an advisory lock's key), and which the first apply of a database creates;
two applies of the same database wait for each other. It reads the catalogs after taking
the lock, so what it changes is exactly the difference it computed; any error rolls
everything back. Every wait for a lock is bounded by `lock_timeout`: past it, the attempt is
rolled back and apply starts again, up to `attempts` times (then exit 3, with nothing
changed and the sessions that held the lock named). A session holding a lock on a table
apply must alter can delay it, never stall it; and the session of an agent that this apply
takes away is ended when it holds apply up (blockers.py), so a tenant whose agent keeps a
transaction open is still suspended.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import psycopg
import pydantic

from compiler.emit.sql import statements as st
from compiler.emit.sql.policies import with_policies
from compiler.emit.sql.quote import Sql, ident
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
from compiler.sqlops.blockers import Watcher
from compiler.sqlops.catalog import LiveState
from compiler.sqlops.connect import connect, scrub
from compiler.sqlops.files import target_folder
from compiler.sqlops.plan import Change, diff, statements

T = TypeVar("T")
DEFAULT_LOCK_TIMEOUT = 30.0  # seconds
DEFAULT_ATTEMPTS = 3
DEFAULT_END_AGENTS_AFTER = 10.0  # seconds


@dataclass(frozen=True)
class Outcome:
    state: TargetState
    changes: list[Change]
    sql: list[Sql]  # what apply ran, or (dry run) would run
    ended: tuple[str, ...] = ()  # the agents' sessions apply ended, one line each

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
                raise EnvironmentProblem(
                    f"drift of target '{state.target}' changed nothing: it waited more than "
                    f"{_seconds(lock_timeout)} for a lock that another session holds (pg_locks "
                    "shows which; pg_stat_activity what it runs); run it again once that "
                    "session has finished, or raise --lock-timeout"
                ) from None
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
    attempts: int = DEFAULT_ATTEMPTS,
    end_agents_after: float = DEFAULT_END_AGENTS_AFTER,
) -> Outcome:
    """Converge the database to `state` in one transaction (or, dry run, say how). A lock
    wait past `lock_timeout` rolls the attempt back, and apply starts again, up to
    `attempts` in all; an agent session this apply takes away that blocks it for
    `end_agents_after` seconds is ended (see blockers.py)."""
    if dry_run:
        return drift(dsn, state, lock_timeout=lock_timeout)
    with Watcher(dsn, end_agents_after) as watcher:
        for attempt in range(1, attempts + 1):
            try:
                outcome = _apply_once(dsn, state, lock_timeout, watcher)
            except _LockWait as wait:
                if attempt == attempts:
                    raise EnvironmentProblem(
                        _waited(state.target, lock_timeout, attempts, wait, watcher)
                    ) from None
                time.sleep(min(1.0, lock_timeout))
                continue
            return replace(outcome, ended=tuple(watcher.ended))
    raise AssertionError("unreachable: attempts >= 1")


class _LockWait(Exception):
    """An attempt waited past lock_timeout: for another apply's lock (`statement` None),
    or while running `statement`."""

    def __init__(self, statement: Sql | None) -> None:
        super().__init__(statement)
        self.statement = statement


def _apply_once(dsn: str, state: TargetState, lock_timeout: float, watcher: Watcher) -> Outcome:
    with connect(dsn) as conn, conn.transaction():
        watcher.watch(conn.info.backend_pid)
        conn.execute(st.lock_timeout(lock_timeout).encode())
        _lock(conn, dsn, state)
        live = _live(conn, state)
        watcher.endable = _taken_away(state, live)
        changes = diff(state, live)
        sql = statements(state, changes)
        for statement in sql:
            _run(conn, statement, dsn, state.target)
    return Outcome(state, changes, sql)


def _taken_away(state: TargetState, live: LiveState) -> dict[str, str]:
    """Agent role -> its tenant, for the agents whose rows this apply deletes: their tenant
    leaves `active`, or they leave the spec."""
    kept = {agent.role for _, agent in state.agents}
    rows = live.extra.rows.get("agents", {})
    return {role: str(row[1]) for role, row in rows.items() if role not in kept}


def _lock(conn: psycopg.Connection[Any], dsn: str, state: TargetState) -> None:
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
            raise _LockWait(None) from None
        except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateObject):
            raise EnvironmentProblem(
                f"apply of target '{state.target}' changed nothing: another paybill sql apply "
                "was setting up this database at the same moment; run it again"
            ) from None
        except psycopg.Error as exc:
            _raise(exc, statement, dsn, state.target)


def _seconds(timeout: float) -> str:
    return f"{timeout:g} s"


def _waited(target: str, timeout: float, attempts: int, wait: _LockWait, watcher: Watcher) -> str:
    each = "it waited more than" if attempts == 1 else f"{attempts} attempts each waited more than"
    if wait.statement is None:
        at_each = "" if attempts == 1 else f" at each of {attempts} attempts"
        return (
            f"apply of target '{target}' changed nothing: another paybill sql apply of this "
            f"database held its lock for more than {_seconds(timeout)}{at_each}; run it again "
            "once that one has finished (or raise --lock-timeout)"
        )
    blockers = watcher.blockers()
    who = (
        ", ".join(f"session {b.pid} of login {ident(b.login)}" for b in blockers)
        if blockers
        else "pg_locks shows which; pg_stat_activity what it runs"
    )
    lines = [
        f"apply of target '{target}' changed nothing: {each} {_seconds(timeout)} for a lock "
        f"that another session holds ({who}); run it again once that session has finished, "
        "or raise --lock-timeout",
        *(f"  {refused}" for refused in watcher.refused),
        f"  while running: {wait.statement}",
    ]
    return "\n".join(lines)


def _run(conn: psycopg.Connection[Any], statement: Sql, dsn: str, target: str) -> None:
    try:
        conn.execute(statement.encode())
    except psycopg.errors.LockNotAvailable:
        raise _LockWait(statement) from None
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
