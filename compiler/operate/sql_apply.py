"""Converging SQL targets during an apply, each at most once per wave.

A target's database is reached through the DSNs given (`compiler.operate.dsns`). A database
named by a DSN template is created when missing; one named explicitly must exist. With no
DSN for a target, it is skipped and said so (the run does not fail: a team may converge some
databases from elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from compiler.errors import EnvironmentProblem
from compiler.operate.dsns import Dsn, Dsns
from compiler.sqlops.connect import connect, mask
from compiler.sqlops.converge import apply, load_state


def _server(dsn: Dsn) -> tuple[str, str]:
    """(the database's name, a DSN of the same server's `postgres` database)."""
    params = conninfo_to_dict(dsn.dsn)
    name = str(params.get("dbname") or "")
    return name, make_conninfo("", **{**params, "dbname": "postgres"})


def database_missing(dsn: Dsn) -> bool:
    """Whether a template's database is still to be created (explicit DSNs must exist)."""
    if not dsn.create:
        return False
    name, server = _server(dsn)
    with connect(server) as conn:
        found = conn.execute("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", [name])
        return found.fetchone() is None


def ensure_database(dsn: Dsn) -> None:
    """Create the DSN's database when a template named it and it does not exist yet."""
    if not dsn.create:
        return
    name, server = _server(dsn)
    if not name:
        return
    with connect(server) as conn:
        conn.autocommit = True
        found = conn.execute("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", [name])
        if found.fetchone() is None:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                pass  # made meanwhile by another apply
            except psycopg.Error as exc:
                raise EnvironmentProblem(
                    f"cannot create database {name} on {mask(server)}: "
                    f"{exc.diag.message_primary or exc}"
                ) from None


def converge(
    generated: Path,
    target: str,
    dsns: Dsns,
    outputs: Callable[[str], Mapping[str, str]],
) -> tuple[bool, str]:
    """Converge one target; (done, what happened). `outputs(target)` gives the outputs of
    the stack that made its database (for `{host}`), read only when the template needs them."""
    dsn = dsns.for_target(target)
    if dsn is None and dsns.template is not None and "{host}" in dsns.template:
        dsn = dsns.for_target(target, outputs(target))
    if dsn is None:
        return False, f"{target}: skipped, no DSN given (--dsn {target}=... or PAYBILL_DSN_FILE)"
    ensure_database(dsn)
    outcome = apply(dsn.dsn, load_state(generated, target))
    changes = len(outcome.applicable)
    left = f"; {len(outcome.left)} left for a migration" if outcome.left else ""
    return True, f"{target}: {changes} change{'' if changes == 1 else 's'} applied{left}"
