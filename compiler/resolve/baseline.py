"""What a tenant was before the change being checked: on the base branch, or in the last
compiled output's records. The lifecycle and migration rules compare against it."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.errors import Location
from compiler.homes import Home, KeptHome


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a tenant was before this change."""

    state: str
    subscription: str
    isolation: str
    plan: str
    location: Location
    sql_target: str | None = None  # the database its rows were in (None: deleted, unknown)
    home: Home | None = None  # where it lived (None: unknown, in an older layout)
    stack: str | None = None  # its stack (None: unknown, or deleted)
    kept: KeptHome | None = None  # a migration's old home kept beside its home
