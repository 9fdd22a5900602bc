"""A tenant's home: where its data lives, and the one word the spec uses to name it.

A pooled or bridge tenant lives in its pool (the pool fixes the cloud and the region); a
silo tenant lives in its own stack on a cloud, in a region. Written as the spec's
`migration: {from, to}` names it:

    pooled/<pool>   bridge/<pool>   silo/<cloud>/<region>

A change of home is a migration (gitops.md, Migrations): a database cannot move across
networks, regions or clouds. Shared by the compiler (which checks the spec's confirmation
against the move) and the operate commands (which plan and run the move from the records),
so both name a home the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# What the spec may write as a home; the DSL checks `from` and `to` against it.
HOME_PATTERN: Final = (
    r"^((pooled|bridge)/[a-z][a-z0-9-]{0,38}[a-z0-9]|silo/(aws|azure|gcp|oci|ibm)/[a-z0-9-]{2,40})$"
)
# A tenant's stack as the spec may name it: `tenant-` and a name as long as a tenant's may
# be, so a stack name never outgrows the resource names cut to fit (emit/stacks/naming.py).
STACK_NAME_PATTERN: Final = r"^tenant-[a-z][a-z0-9-]{0,38}[a-z0-9]$"
# The kinds of move, in the order a reviewer reads them.
MOVE_KINDS: Final = ("isolation", "pool", "cloud", "region")


@dataclass(frozen=True, slots=True)
class Home:
    """Where a tenant lives. `cloud` is None when a record from before clouds were recorded
    does not say (then a cloud move cannot be seen, and none is assumed)."""

    isolation: str
    pool: str | None
    cloud: str | None
    region: str

    @property
    def key(self) -> str:
        """`bridge/eu-shared`, `silo/aws/eu-central-1`: as the spec's migration names it."""
        if self.isolation == "silo" or self.pool is None:
            return f"silo/{self.cloud or 'aws'}/{self.region}"
        return f"{self.isolation}/{self.pool}"

    @property
    def shared(self) -> bool:
        """Whether its database is its pool's (pooled), not the tenant's own."""
        return self.isolation == "pooled"


def move_kinds(old: Home, new: Home) -> tuple[str, ...]:
    """What changes between two homes: isolation, pool, cloud, region (empty: no move).

    A silo has no pool, so a move between a pool and a silo is an isolation move (and a
    region or cloud move when those change too), not a pool move."""
    kinds = []
    if old.isolation != new.isolation:
        kinds.append("isolation")
    if old.pool and new.pool and old.pool != new.pool:
        kinds.append("pool")
    if old.cloud and new.cloud and old.cloud != new.cloud:
        kinds.append("cloud")
    if old.region != new.region:
        kinds.append("region")
    return tuple(kinds)


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A migration as the spec confirms it: `migration: {from, to, retireOld}`."""

    source: str  # the old home's key
    target: str  # the new home's key
    retire_old: bool = False

    def block(self) -> str:
        """The spec's lines, as the tenant's spec writes them (flow style, one line)."""
        retire = ", retireOld: true" if self.retire_old else ""
        return f"migration: {{from: {self.source}, to: {self.target}{retire}}}"

    def to_json(self) -> dict[str, object]:
        return {"from": self.source, "to": self.target, "retireOld": self.retire_old}


def parse_home(key: str) -> Home:
    """The home a key names (`bridge/eu-shared`); its region is empty when the key does not
    say it (a pool's), and so is its cloud."""
    isolation, _, rest = key.partition("/")
    if isolation == "silo":
        cloud, _, region = rest.partition("/")
        return Home("silo", None, cloud, region)
    return Home(isolation, rest, None, "")


def default_stack(tenant: str) -> str:
    """The name of a tenant's stack when its spec names none (`spec.stack`)."""
    return f"tenant-{tenant}"


def sql_target(home: Home, stack: str) -> str:
    """The database that holds the rows of the tenant with stack `stack` in `home`: its
    pool's, or its own (named as its stack)."""
    return f"pool-{home.pool}" if home.shared else stack


def stack_of(home: Home, stack: str) -> str | None:
    """The tenant's stack with a database of its own in `home` (`stack`), or None when its
    rows live in its pool's database (pooled)."""
    return None if home.shared else stack


@dataclass(frozen=True, slots=True)
class KeptHome:
    """A migration's old home with a database of its own (bridge, silo), kept in the output
    beside the new home until `retireOld: true`: its stack and database stay exactly as the
    compile before the move left them (docs/migrations.md)."""

    home: str  # its key, as the migration's `from` names it
    stack: str

    @property
    def sql_target(self) -> str:
        return self.stack

    def to_json(self) -> dict[str, str]:
        return {"home": self.home, "stack": self.stack}
