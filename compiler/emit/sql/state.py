"""The desired state of one SQL target: what `NN-*.sql` create and `paybill sql` converge to.

One `TargetState` per target (`pool-<pool>`, `tenant-<tenant>`) is built from the resolved
model (`build.py`), checked (`lints.py`), rendered into the ordered SQL files
(`render.py`) and written next to them as `state.json`, which `paybill sql apply|drift`
compares with the live catalogs. Because the files and the JSON come from the same value,
they cannot disagree.

Roles, in four kinds:

* `owner` — owns every schema and table; NOLOGIN; no other managed role is a member of it.
* `grants` — a per-target privilege profile (e.g. "the application, read-write", "agent
  collections running invoice-reminders"). Table and column privileges are granted to
  these, never to tenant roles: PostgreSQL stores a table's or a column's privileges in one
  catalog row without out-of-line storage, which holds only a few hundred grantees, while a
  pool holds thousands of tenant roles. A profile has no row-level policy of its own, so on
  a tenant-scoped table it sees no rows by itself.
* `app` / `agent` — the tenant's roles (`app_<tenant>`, `agent_<tenant>_<agent>`). Each is a
  member of exactly one profile, from which it inherits its privileges; row-level policies
  name these roles, each bound to its own tenant id as a literal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import ConfigDict, TypeAdapter
from pydantic.alias_generators import to_camel

SchemaVersion = Literal["paybill.dev/sql-state/v1"]
SCHEMA_VERSION: Final[SchemaVersion] = "paybill.dev/sql-state/v1"
STATE_FILE = "state.json"
OWNER_ROLE = "paybill_owner"
OWNER_COMMENT = "paybill: owner of the managed schemas and tables"

Privilege = Literal["SELECT", "INSERT", "UPDATE", "DELETE"]
RoleKind = Literal["grants", "app", "agent"]
PRIVILEGES: tuple[Privilege, ...] = ("SELECT", "INSERT", "UPDATE", "DELETE")

_CONFIG = ConfigDict(
    alias_generator=to_camel,
    extra="forbid",
    strict=True,
    validate_by_alias=True,
    validate_by_name=False,
    serialize_by_alias=True,
)


def role_comment(target: str) -> str:
    """What marks a role as managed by `target` (COMMENT ON ROLE): a role carrying it that
    the spec no longer lists is retired by `sql apply`; any other role is left alone."""
    return f"paybill: managed by sql target {target}"


@dataclass(frozen=True, slots=True)
class ColumnState:
    __pydantic_config__ = _CONFIG

    name: str
    type: str
    nullable: bool
    primary_key: bool


@dataclass(frozen=True, slots=True)
class TableState:
    __pydantic_config__ = _CONFIG

    schema: str
    name: str
    tenant_scoped: bool
    row_security: bool  # enabled and forced
    columns: tuple[ColumnState, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def primary_key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.primary_key)


@dataclass(frozen=True, slots=True)
class TableGrant:
    """Privileges of one role on one table: whole-table ones, and column lists."""

    __pydantic_config__ = _CONFIG

    schema: str
    table: str
    table_privileges: tuple[Privilege, ...] = ()
    select: tuple[str, ...] = ()
    insert: tuple[str, ...] = ()
    update: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.table)

    def atoms(self, role: str) -> Iterator[Atom]:
        for privilege in self.table_privileges:
            yield Atom(role, self.schema, self.table, privilege, None)
        for privilege, columns in (
            ("SELECT", self.select),
            ("INSERT", self.insert),
            ("UPDATE", self.update),
        ):
            for column in columns:
                yield Atom(role, self.schema, self.table, privilege, column)


@dataclass(frozen=True, slots=True)
class RoleState:
    __pydantic_config__ = _CONFIG

    name: str
    kind: RoleKind
    tenant: str | None  # app and agent roles
    agent: str | None  # agent roles and agent profiles
    workflows: tuple[str, ...]  # agent roles and agent profiles: what the privileges serve
    member_of: tuple[str, ...]  # app and agent roles: their one profile
    grants: tuple[TableGrant, ...]  # profiles only


@dataclass(frozen=True, slots=True)
class PolicyState:
    """`CREATE POLICY name ON table FOR ALL TO roles USING (col = 'tenant') WITH CHECK (...)`."""

    __pydantic_config__ = _CONFIG

    schema: str
    table: str
    name: str
    tenant: str
    roles: tuple[str, ...]


@dataclass(frozen=True, order=True, slots=True)
class Atom:
    """One privilege: a whole-table one when `column` is None."""

    role: str
    schema: str
    table: str
    privilege: str
    column: str | None


@dataclass(frozen=True, slots=True)
class TargetState:
    __pydantic_config__ = _CONFIG

    schema_version: SchemaVersion
    target: str
    tenant_column: str
    owner: str
    tables: tuple[TableState, ...]  # sorted by (schema, name)
    roles: tuple[RoleState, ...]  # profiles first, then tenant roles; each sorted by name
    policies: tuple[PolicyState, ...]  # sorted by (schema, table, name)

    @property
    def comment(self) -> str:
        return role_comment(self.target)

    @property
    def schemas(self) -> tuple[str, ...]:
        return tuple(sorted({t.schema for t in self.tables}))

    def role(self, name: str) -> RoleState:
        return next(r for r in self.roles if r.name == name)

    def atoms(self) -> set[Atom]:
        return {
            atom for role in self.roles for grant in role.grants for atom in grant.atoms(role.name)
        }

    def usage(self) -> set[tuple[str, str]]:
        """(role, schema): USAGE on every schema where the role has a table privilege."""
        return {(role.name, grant.schema) for role in self.roles for grant in role.grants}

    def memberships(self) -> set[tuple[str, str]]:
        """(group, member) pairs."""
        return {(group, role.name) for role in self.roles for group in role.member_of}

    def effective_grants(self) -> dict[str, tuple[TableGrant, ...]]:
        """Per role: its own grants plus those of the managed roles it is a member of."""
        by_name = {r.name: r for r in self.roles}
        return {
            role.name: (
                *role.grants,
                *(g for group in role.member_of if group in by_name for g in by_name[group].grants),
            )
            for role in self.roles
        }


_ADAPTER = TypeAdapter(TargetState)


def to_json(state: TargetState) -> object:
    return _ADAPTER.dump_python(state, mode="json")


def from_json(text: bytes | str) -> TargetState:
    """Parse a state file; raises pydantic.ValidationError when it is not one."""
    return _ADAPTER.validate_json(text)
