"""Who holds up `paybill sql apply`, and ending the sessions of agents it takes away.

While apply runs, a watcher on a connection of its own asks PostgreSQL every tenth of a
second which sessions block apply's (`pg_blocking_pids`) and remembers them, so that a
lock wait that times out can name who held the lock. A blocking session that acts for an
agent this apply removes — its tenant leaves `active`, or the agent leaves the spec — is
ended (`pg_terminate_backend`) once it has blocked apply for `end_after` seconds: an agent
that keeps a transaction open (its timeouts turned off) must not keep its tenant from being
suspended. No other session is ever ended: not the tenant's application, not another
tenant's agent, not a superuser's (a superuser is a member of every role, so it is never
taken for an agent). Ending another login's session needs the applying login to be a
superuser or a member of `pg_signal_backend`; without that, the refusal is remembered and
apply waits on, as for any other session.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import psycopg

from compiler.emit.sql.quote import ident
from compiler.errors import EnvironmentProblem
from compiler.sqlops.connect import connect

POLL_SECONDS = 0.1

_BLOCKERS = """
SELECT a.pid, COALESCE(a.usename, ''), COALESCE(r.rolsuper, false),
       (SELECT pg_catalog.min(g.rolname::text) FROM pg_catalog.pg_roles g
        WHERE g.rolname = ANY(%(endable)s)
          AND pg_catalog.pg_has_role(a.usesysid, g.oid, 'MEMBER'))
FROM pg_catalog.pg_stat_activity a
LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.usesysid
WHERE a.pid = ANY(pg_catalog.pg_blocking_pids(%(pid)s))
"""


@dataclass
class Blocker:
    pid: int
    login: str
    since: float  # time.monotonic() when first seen blocking


@dataclass
class Watcher:
    """Watches the apply session `pid` (set per attempt) from its own connection."""

    dsn: str
    end_after: float
    endable: Mapping[str, str] = field(default_factory=dict)  # agent role -> its tenant
    pid: int = 0
    seen: dict[int, Blocker] = field(default_factory=dict)
    ended: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _ended_pids: set[int] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _conn: psycopg.Connection[tuple[object, ...]] | None = None

    def __enter__(self) -> Watcher:
        return self

    def watch(self, pid: int) -> None:
        """Watch apply's session `pid` (a new one each attempt); the first call connects."""
        self.pid = pid
        if self._thread is not None or self._stop.is_set():
            return
        try:
            self._conn = connect(self.dsn)
            self._conn.autocommit = True
        except EnvironmentProblem:
            self._stop.set()  # no watching then; apply's waits stay bounded all the same
            return
        self._thread = threading.Thread(target=self._run, name="paybill-apply-watcher")
        self._thread.daemon = True
        self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._conn is not None:
            self._conn.close()

    def blockers(self) -> list[Blocker]:
        """Every session seen blocking apply, in the order first seen."""
        return sorted(self.seen.values(), key=lambda b: (b.since, b.pid))

    def _run(self) -> None:
        assert self._conn is not None
        try:
            while not self._stop.wait(POLL_SECONDS):
                if self.pid:
                    self._look(self._conn)
        except psycopg.Error:
            return  # watching is a help: apply's own waits stay bounded by lock_timeout

    def _look(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        now = time.monotonic()
        rows = conn.execute(_BLOCKERS, {"pid": self.pid, "endable": sorted(self.endable)})
        for pid, login, superuser, agent in rows.fetchall():
            blocker = self.seen.setdefault(int(str(pid)), Blocker(int(str(pid)), str(login), now))
            if agent is None or superuser or now - blocker.since < self.end_after:
                continue
            if blocker.pid in self._ended_pids:
                continue
            self._end(conn, blocker, str(agent))

    def _end(
        self, conn: psycopg.Connection[tuple[object, ...]], blocker: Blocker, agent: str
    ) -> None:
        what = (
            f"session {blocker.pid} of login {ident(blocker.login)}, acting for agent "
            f"{ident(agent)} of tenant {self.endable[agent]}"
        )
        # Said before the session ends: apply goes on the moment its lock is released, and
        # may report before this thread is scheduled again.
        said = f"ended {what}: it held a lock apply needed for {self.end_after:g} s"
        self._ended_pids.add(blocker.pid)
        self.ended.append(said)
        try:
            ended = conn.execute("SELECT pg_catalog.pg_terminate_backend(%s)", [blocker.pid])
            row = ended.fetchone()
        except psycopg.Error as exc:
            row = None
            reason = exc.diag.message_primary or str(exc)
            message = f"could not end {what}: {reason}"
            if message not in self.refused:
                self.refused.append(message)
        if not (row and row[0]):
            self.ended.remove(said)
            self._ended_pids.discard(blocker.pid)
