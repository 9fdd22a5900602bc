"""Keys that start with the tenant column and column defaults, on existing databases:
what `paybill sql apply` changes (a key it only widens, a missing column with its default,
a default changed by hand) and what it reports and leaves to a migration."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sqlops.fleet import ITEMS, TARGET, converged
from tests.sqlops.live import apply_files, compile_to, sql_cmd
from tests.support.postgres import Database, Databases

pytestmark = pytest.mark.postgres


def old_key(db: Database, columns: str = "id") -> None:
    """The key the table had before keys began with the tenant column."""
    with db.connect() as conn:
        statement = f'ALTER TABLE {ITEMS} DROP CONSTRAINT "work-items_pkey", ADD PRIMARY KEY'
        conn.execute(f"{statement} ({columns})".encode())


def key_of(db: Database) -> str:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            """WHERE conrelid = '"order"."work-items"'::regclass AND contype = 'p'"""
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_apply_widens_an_old_key_by_the_tenant_column_and_keeps_the_rows(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    old_key(db)
    drift = sql_cmd("drift", db, generated, TARGET)
    assert drift.out.splitlines()[1:-1] == [
        f"  the primary key of {ITEMS} is (id); the spec says (tenant_id, id)"
    ]
    applied = sql_cmd("apply", db, generated, TARGET)
    assert applied.out.splitlines() == [
        f"{TARGET}: applied 1 change in one transaction",
        f"  the primary key of {ITEMS} is (id); the spec says (tenant_id, id)",
    ]
    assert key_of(db) == "PRIMARY KEY (tenant_id, id)"
    with db.connect() as conn:
        assert conn.execute(f"SELECT count(*) FROM {ITEMS}".encode()).fetchone() == (12,)
    assert sql_cmd("drift", db, generated, TARGET).code == 0


def test_the_files_widen_it_too(pg: Databases, fleet: Path, tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    old_key(db)
    apply_files(db, generated, TARGET)
    assert key_of(db) == "PRIMARY KEY (tenant_id, id)"


def test_other_key_changes_and_unique_indexes_without_the_tenant_column_are_left(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    old_key(db, '"select", id')
    with db.connect() as conn:
        conn.execute(f'CREATE UNIQUE INDEX "by-from" ON {ITEMS} ("from")'.encode())
    left = [
        f"the primary key of {ITEMS} is (select, id); the spec says (tenant_id, id); apply "
        "leaves it: that needs a migration",
        f'unique index "by-from" on {ITEMS} does not include the tenant column "tenant_id": in a '
        "pool it tells a tenant which values other tenants' rows hold; apply leaves it: replace "
        "it with one that starts with the tenant column",
    ]
    drift = sql_cmd("drift", db, generated, TARGET)
    assert drift.out.splitlines()[1:] == [f"  {line}" for line in left]
    applied = sql_cmd("apply", db, generated, TARGET)
    assert applied.out.splitlines()[1:] == [f"  not changed: {line}" for line in left]
    assert key_of(db) == 'PRIMARY KEY ("select", id)'


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_apply_adds_a_not_null_column_with_its_default_and_puts_back_a_changed_default(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated)
    edit(
        fleet / "schema.yaml",
        "    - {name: nudged, type: boolean}\n",
        "    - {name: nudged, type: boolean}\n"
        '    - {name: weight, type: "numeric(5,2)", default: 1.5}\n'
        "    - {name: seen_at, type: timestamptz, default: now()}\n",
    )
    compile_to(fleet, generated)
    assert sql_cmd("drift", db, generated, TARGET).out.splitlines()[1:3] == [
        f'  column "seen_at" of {ITEMS} does not exist',
        f'  column "weight" of {ITEMS} does not exist',
    ]
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    with db.connect() as conn:
        rows = conn.execute(
            f"SELECT DISTINCT weight::text, seen_at IS NOT NULL FROM {ITEMS}".encode()
        )
        assert rows.fetchall() == [("1.50", True)]
    # 1.5 and the stored 1.50::numeric(5,2) are the same default: no drift.
    assert sql_cmd("drift", db, generated, TARGET).code == 0
    with db.connect() as conn:
        conn.execute(f'ALTER TABLE {ITEMS} ALTER COLUMN "weight" SET DEFAULT 2'.encode())
        conn.execute(f"ALTER TABLE {ITEMS} ALTER COLUMN \"select\" SET DEFAULT 'x'".encode())
    drift = sql_cmd("drift", db, generated, TARGET)
    assert drift.out.splitlines()[1:-1] == [
        f"  column \"select\" of {ITEMS} has DEFAULT 'x'::text; the spec says no default",
        f'  column "weight" of {ITEMS} has DEFAULT 2.00::numeric(5,2); the spec says DEFAULT '
        "1.50::numeric(5,2)",
    ]
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    assert sql_cmd("drift", db, generated, TARGET).code == 0
