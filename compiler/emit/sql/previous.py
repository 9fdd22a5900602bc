"""The tables of the previous output's SQL state, for the checks that compare with it.

A column added to a table that already exists meets the table's rows: the compiler reads
what the last compile wrote (`sql/<target>/state.json` of every target, found through the
node records) so that such a column is checked before it reaches a database. A state file
that cannot be read is skipped: its node is built again anyway, and nothing is compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pydantic

from compiler.emit.sql.state import STATE_FILE, shared_from_json
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
        if record.kind != "sql":
            continue
        for artifact in record.artifacts:
            if not artifact.path.endswith(f"/{STATE_FILE}"):
                continue
            path = folder / artifact.path
            try:
                state = shared_from_json(path.read_bytes())
            except (OSError, pydantic.ValidationError):
                continue
            for table in state.tables:
                columns.setdefault(table.key, set()).update(c.name for c in table.columns)
                where.setdefault(table.key, Location(path.as_posix()))
    return {key: PreviousTable(frozenset(names), where[key]) for key, names in columns.items()}
