"""Helpers for tests against the live server: compile, run the CLI, seed rows, probe."""

from __future__ import annotations

import contextlib
import io
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from compiler.cli import main
from compiler.emit.sql.state import TableState, TargetState
from compiler.sandbox.postgres import SUPERUSER
from tests.emit.sql.compiled import write_sql
from tests.support.postgres import Database

Conn = psycopg.Connection[Any]


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def cli(*args: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Run(code, out.getvalue(), err.getvalue())


def sql_cmd(action: str, db: Database, generated: Path, target: str, *extra: str) -> Run:
    return cli(
        "sql", action, "--target", target, "--dsn", db.dsn, "--generated", str(generated), *extra
    )


def compile_to(spec_dir: Path, generated: Path) -> dict[str, TargetState]:
    return write_sql(spec_dir, generated)


def sql_files(generated: Path, target: str) -> list[Path]:
    """Every `.sql` file that builds `target`, in the order `paybill sql files` lists them."""
    run = cli("sql", "files", "--target", target, "--generated", str(generated))
    assert (run.code, run.err) == (0, ""), run.err
    return [Path(line) for line in run.out.splitlines()]


def apply_files(db: Database, generated: Path, target: str, *, user: str = SUPERUSER) -> None:
    """What a deployment pipeline does with psql: every file `paybill sql files` lists, in
    that order, each in its own transaction, as `user`."""
    with db.connect(user) as conn:
        for path in sql_files(generated, target):
            conn.execute(path.read_bytes())


# -- data -------------------------------------------------------------------------------
def sample(type_: str, tenant: str, index: int, seq: int) -> str:
    """A text value PostgreSQL casts to `type_`; unique per (tenant, index) for keys."""
    if type_ == "uuid":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{index}"))
    if type_ in ("smallint", "integer", "bigint"):
        return str(seq)
    if type_ == "boolean":
        return "false"
    if type_ in ("timestamptz", "timestamp"):
        return "2030-01-01 00:00:00+00"
    if type_ == "date":
        return "2030-01-01"
    if type_ == "jsonb":
        return "{}"
    if type_ == "bytea":
        return "\\x00"
    if type_ == "inet":
        return "10.0.0.1"
    if type_.startswith(("numeric", "real", "double")):
        return "1"
    return f"{tenant}-{index}"  # text, varchar(n >= 40 for the tenant column)


def row(table: TableState, tenant_column: str, tenant: str, index: int, seq: int) -> dict[str, str]:
    return {
        c.name: tenant if c.name == tenant_column else sample(c.type, tenant, index, seq)
        for c in table.columns
    }


def insert(conn: Conn, table: TableState, values: dict[str, str]) -> None:
    """INSERT one row from text values, each cast to its column's type."""
    types = {c.name: c.type for c in table.columns}
    names = sorted(values)
    query = sql.SQL("INSERT INTO {}.{} ({}) VALUES ({})").format(
        sql.Identifier(table.schema),
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(n) for n in names),
        sql.SQL(", ").join(sql.SQL("%s::") + sql.SQL(types[n]) for n in names),
    )
    conn.execute(query, [values[n] for n in names])


ROWS_PER_TENANT = 2


def seed(db: Database, state: TargetState) -> dict[tuple[str, str], list[dict[str, str]]]:
    """Rows for every tenant of the target in every tenant-scoped table, as a superuser."""
    tenants = sorted({r.tenant for r in state.roles if r.tenant is not None})
    out: dict[tuple[str, str], list[dict[str, str]]] = {}
    seq = 0
    with db.connect() as conn:
        for table in state.tables:
            if not table.tenant_scoped:
                continue
            for tenant in tenants:
                for index in range(ROWS_PER_TENANT):
                    seq += 1
                    values = row(table, state.tenant_column, tenant, index, seq)
                    insert(conn, table, values)
                    out.setdefault((table.name, tenant), []).append(values)
    return out


_EFFECTIVE = """
SELECT r, c.relname, p, NULL
FROM unnest(%(roles)s::text[]) r, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
     unnest(ARRAY['DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind = 'r' AND has_table_privilege(r, c.oid, p)
UNION ALL
SELECT r, c.relname, p, a.attname
FROM unnest(%(roles)s::text[]) r, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid,
     unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) p
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind = 'r' AND a.attnum > 0
  AND NOT a.attisdropped AND has_column_privilege(r, c.oid, a.attnum, p)
"""

Privilege = tuple[str, str, str, str | None]  # role, table, privilege, column or None


def effective(conn: Conn, roles: list[str], state: TargetState) -> set[Privilege]:
    """(role, table, privilege, column or None) the server says each role has, inherited
    privileges included: PostgreSQL's own answer, independent of our catalog reader."""
    rows = conn.execute(_EFFECTIVE, {"roles": roles, "schemas": list(state.schemas)})
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def expected(state: TargetState) -> set[Privilege]:
    """What each tenant role should have, from the desired state, spelled like `effective`:
    a whole-table SELECT/INSERT/UPDATE counts as every column."""
    out: set[Privilege] = set()
    columns = {t.name: [c.name for c in t.columns] for t in state.tables}
    grants = state.effective_grants()
    for role in state.roles:
        if role.kind == "grants":
            continue
        for grant in grants[role.name]:
            for atom in grant.atoms(role.name):
                if atom.column is None and atom.privilege != "DELETE":
                    out.update(
                        (role.name, atom.table, atom.privilege, c) for c in columns[atom.table]
                    )
                else:
                    out.add((role.name, atom.table, atom.privilege, atom.column))
    return out


class login:
    """A LOGIN role granted only `role`, as a deployment connects; dropped afterwards."""

    def __init__(self, db: Database, role: str, *, autocommit: bool = False) -> None:
        self.db, self.role, self.user = db, role, ("login_" + role)[:63]
        self.autocommit = autocommit

    def __enter__(self) -> Conn:
        with self.db.connect() as admin:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(self.user)))
            admin.execute(
                sql.SQL("GRANT {} TO {}").format(
                    sql.Identifier(self.role), sql.Identifier(self.user)
                )
            )
        self.conn = self.db.connect(self.user, autocommit=self.autocommit)
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
        with self.db.connect() as admin:
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(self.user)))
