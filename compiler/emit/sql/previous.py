"""The tables of the previous output's SQL state, for the checks that compare with it.

A column added to a table that already exists meets the table's rows: the compiler reads
what the last compile wrote (`sql/shared/state.json`, or in an output written before the
runtime was shared, `sql/<target>/state.json` of every target; found through the node
records) so that such a column is checked before it reaches a database. A state file
that cannot be read is skipped: its node is built again anyway, and nothing is compared.
Only the table and column names are read (not the whole state, validated: that took a
tenth of a one-tenant recompile at 1,000 tenants).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import orjson

from compiler.emit.sql.state import STATE_FILE
from compiler.errors import Location
from compiler.records import NodeRecord
from compiler.resolve import PreviousTable


def previous_tables(
    folder: Path, records: Mapping[str, NodeRecord]
) -> dict[tuple[str, str], PreviousTable]:
    """(schema, table) -> its columns, over every SQL target of the previous output."""
    columns: dict[tuple[str, str], set[str]] = {}
    where: dict[tuple[str, str], Location] = {}
    for record in sorted(records.values(), key=lambda r: r.node):
        if record.kind not in ("runtime", "sql"):
            continue
        for artifact in record.artifacts:
            if not artifact.path.endswith(f"/{STATE_FILE}"):
                continue
            path = folder / artifact.path
            try:
                tables = _table_columns(path.read_bytes())
            except OSError:
                continue
            for key, names in tables:
                columns.setdefault(key, set()).update(names)
                where.setdefault(key, Location(path.as_posix()))
    return {key: PreviousTable(frozenset(names), where[key]) for key, names in columns.items()}


def _table_columns(content: bytes) -> list[tuple[tuple[str, str], list[str]]]:
    """((schema, table), column names) of a state file; nothing when it is not one."""
    try:
        tables = orjson.loads(content)["tables"]
        out = [((t["schema"], t["name"]), [c["name"] for c in t["columns"]]) for t in tables]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return []
    names = [n for (key, columns) in out for n in (*key, *columns)]
    return out if all(isinstance(n, str) for n in names) else []
