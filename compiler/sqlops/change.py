"""One difference between a live database and a target's desired state, and the phases
changes run in: what a statement needs exists before it runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.emit.sql.quote import Sql

(
    ROLES,
    MEMBERS,
    SETTINGS,
    SCHEMAS,
    TABLES,
    REVOKES,
    GRANTS,
    HAND_MADE,  # triggers, rules and routines nobody should have made: before functions
    FUNCTIONS,
    RLS,
    POLICIES,
    ROWS,
    RETIRE,
) = range(13)


@dataclass(frozen=True, order=True)
class Change:
    phase: int
    key: tuple[str, ...]
    text: str = field(compare=False)
    sql: tuple[Sql, ...] = field(compare=False)  # empty: reported, left for a migration
