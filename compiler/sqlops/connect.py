"""Connecting to the database a target lives in, with errors people can act on.

A DSN may carry a password; it never appears in what we print: messages show the DSN with
the password replaced by `***`, and the password is also scrubbed from the driver's own
error text.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from compiler.errors import EnvironmentProblem, UsageError

MASK = "***"
CONNECT_TIMEOUT_SECONDS = 10


def _params(dsn: str) -> dict[str, Any]:
    try:
        return conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        raise UsageError(
            "--dsn is not a valid PostgreSQL connection string; use "
            "'host=H port=P user=U dbname=D' or 'postgresql://U@H:P/D' "
            "(a password is better kept in PGPASSWORD or ~/.pgpass)"
        ) from None


def mask(dsn: str) -> str:
    """The DSN as `key=value` pairs with any password replaced by `***`."""
    params = _params(dsn)
    if "password" in params:
        params["password"] = MASK
    return make_conninfo(**params)


def scrub(text: str, dsn: str) -> str:
    """`text` without the DSN's password in it."""
    password = str(_params(dsn).get("password") or "")
    return text.replace(password, MASK) if password else text


def connect(dsn: str) -> psycopg.Connection[Any]:
    """A connection in a transaction (not autocommit), or EnvironmentProblem (exit 3)."""
    shown = mask(dsn)
    try:
        return psycopg.connect(
            dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS, application_name="paybill"
        )
    except psycopg.Error as exc:
        reason = " ".join(scrub(str(exc), dsn).split())
        raise EnvironmentProblem(
            f"cannot connect to PostgreSQL ({shown}): {reason}; check that the server is "
            "running and reachable and that host, port, user, password and dbname are right"
        ) from None
