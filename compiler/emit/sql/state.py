"""The desired state of one SQL target: what its `.sql` files create and `paybill sql`
converges to.

A target (`pool-<pool>`, `tenant-<tenant>`) is written in parts, so that each part belongs
to one graph node and two changes to different tenants touch different files:

* `SharedState` (`state.json`, node `sql:<target>`): the owner, the tables and the privilege
  profiles. It never names a tenant.
* `TenantPart` (`tenants/<tenant>.json`, node `tenant:<tenant>`): one tenant's roles, the
  profiles they are members of, and the policies that bind them to the tenant's rows.

`TargetState` is the whole target, put together from its parts: what the lints check and
what `paybill sql apply|drift` compare with the live catalogs. The parts are built from the
resolved model (`build.py`) and rendered into SQL (`render.py`) from the same values, so the
files and the JSON cannot disagree.

Roles, in four kinds:

* `owner` — owns every schema and table; NOLOGIN; no other managed role is a member of it.
* `grants` — a per-target privilege profile: the application read-write, the application
  read-only, and one per workflow (what its steps need). Table and column privileges are
  granted to these, never to tenant roles: PostgreSQL stores a table's or a column's
  privileges in one catalog row without out-of-line storage, which holds only a few hundred
  grantees, while a pool holds thousands of tenant roles. A profile has no row-level policy
  of its own, so on a tenant-scoped table it sees no rows by itself. The set of profiles
  depends on the spec's workflows only, never on which tenants a target holds.
* `app` / `agent` — the tenant's roles (`app_<tenant>`, `agent_<tenant>_<agent>`). An app
  role is a member of one application profile, an agent role of the profiles of the
  workflows it may run in its tenant; they inherit their privileges from them. Row-level
  policies name these roles, each bound to its own tenant id as a literal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import ConfigDict, TypeAdapter
from pydantic.alias_generators import to_camel

SchemaVersion = Literal["paybill.dev/sql-state/v2"]
SCHEMA_VERSION: Final[SchemaVersion] = "paybill.dev/sql-state/v2"
TenantSchemaVersion = Literal["paybill.dev/sql-tenant/v1"]
TENANT_SCHEMA_VERSION: Final[TenantSchemaVersion] = "paybill.dev/sql-tenant/v1"
STATE_FILE = "state.json"
TENANTS_FOLDER = "tenants"
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


def role_comment(target: str, tenant: str | None = None) -> str:
    """What marks a role as managed by `target` (COMMENT ON ROLE): a role carrying it that
    the spec no longer lists is retired by `sql apply`; any other role is left alone.
    A tenant's roles also name the tenant, so that the tenant's own file can retire the
    roles it no longer has without knowing what other tenants hold."""
    marker = f"paybill: managed by sql target {target}"
    return marker if tenant is None else f"{marker}{TENANT_MARK}{tenant}"


TENANT_MARK = " for tenant "


def tenant_file(tenant: str, suffix: str) -> str:
    """A tenant part's file, relative to the target's folder."""
    return f"{TENANTS_FOLDER}/{tenant}{suffix}"


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
    agent: str | None  # agent roles
    workflows: tuple[str, ...]  # agent roles and workflow profiles: what the privileges serve
    member_of: tuple[str, ...]  # app roles: one profile; agent roles: one per workflow
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
class SharedState:
    """What a target holds for every tenant: `state.json`. Never names a tenant."""

    __pydantic_config__ = _CONFIG

    schema_version: SchemaVersion
    target: str
    tenant_column: str
    owner: str
    tables: tuple[TableState, ...]  # sorted by (schema, name)
    profiles: tuple[RoleState, ...]  # kind "grants", sorted by name

    @property
    def schemas(self) -> tuple[str, ...]:
        return tuple(sorted({t.schema for t in self.tables}))


@dataclass(frozen=True, slots=True)
class TenantPart:
    """One tenant's roles and policies in a target: `tenants/<tenant>.json`."""

    __pydantic_config__ = _CONFIG

    schema_version: TenantSchemaVersion
    target: str
    tenant: str
    roles: tuple[RoleState, ...]  # kinds "app" and "agent", sorted by name
    policies: tuple[PolicyState, ...]  # sorted by (schema, table)


@dataclass(frozen=True, slots=True)
class TargetState:
    """A whole target: its shared state and every tenant part, put together."""

    target: str
    tenant_column: str
    owner: str
    tables: tuple[TableState, ...]  # sorted by (schema, name)
    roles: tuple[RoleState, ...]  # profiles first, then tenant roles; each sorted by name
    policies: tuple[PolicyState, ...]  # sorted by (schema, table, name)

    @classmethod
    def of(cls, shared: SharedState, parts: Iterable[TenantPart]) -> TargetState:
        parts = sorted(parts, key=lambda p: p.tenant)
        return cls(
            target=shared.target,
            tenant_column=shared.tenant_column,
            owner=shared.owner,
            tables=shared.tables,
            roles=(
                *shared.profiles,
                *sorted((r for p in parts for r in p.roles), key=lambda r: r.name),
            ),
            policies=tuple(
                sorted(
                    (q for p in parts for q in p.policies),
                    key=lambda q: (q.schema, q.table, q.name),
                )
            ),
        )

    @property
    def comment(self) -> str:
        """The marker of the target's own roles (owner excepted): the profiles."""
        return role_comment(self.target)

    def comment_of(self, role: RoleState) -> str:
        return role_comment(self.target, role.tenant)

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


_SHARED = TypeAdapter(SharedState)
_TENANT = TypeAdapter(TenantPart)


def to_json(state: SharedState | TenantPart) -> object:
    if isinstance(state, SharedState):
        return _SHARED.dump_python(state, mode="json")
    return _TENANT.dump_python(state, mode="json")


def shared_from_json(text: bytes | str) -> SharedState:
    """Parse a `state.json`; raises pydantic.ValidationError when it is not one."""
    return _SHARED.validate_json(text)


def tenant_from_json(text: bytes | str) -> TenantPart:
    """Parse a `tenants/<tenant>.json`; raises pydantic.ValidationError when it is not one."""
    return _TENANT.validate_json(text)
