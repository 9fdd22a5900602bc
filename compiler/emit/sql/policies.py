"""The row-level policies of a tenant's roles, derived from the profiles they are members of.

Per tenant-scoped table, one policy names the tenant's roles that have any privilege on it
through their profiles, bound to the tenant's own id. The compiler derives them when it
builds a tenant's part, and the readers of the state files derive them again from the same
part and its target's shared state (the tenant's JSON does not repeat them): one function,
so the two cannot differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from compiler.emit.sql.state import (
    TENANT_SCHEMA_VERSION,
    PolicyState,
    RoleState,
    SharedState,
    TenantPart,
)
from compiler.resolve.roles import role_name

TableKey = tuple[str, str]


def tables_reached(shared: SharedState) -> dict[str, frozenset[TableKey]]:
    """The tables each profile has any privilege on."""
    return {p.name: frozenset(g.key for g in p.grants) for p in shared.profiles}


def tenant_policies(
    shared: SharedState,
    tenant: str,
    roles: Iterable[RoleState],
    reach: Mapping[str, frozenset[TableKey]] | None = None,
) -> tuple[PolicyState, ...]:
    """Per tenant-scoped table: one policy naming the tenant's roles that have any privilege
    on it (through their profiles), bound to the tenant's own id. `reach` is
    `tables_reached(shared)`, when the caller has it already."""
    reach = reach if reach is not None else tables_reached(shared)
    roles = list(roles)
    reached = {
        role.name: frozenset().union(*(reach.get(g, frozenset()) for g in role.member_of))
        for role in roles
    }
    policy = role_name("tenant", tenant)
    out = []
    for table in shared.tables:
        if not table.row_security:
            continue
        names = tuple(sorted(role.name for role in roles if table.key in reached[role.name]))
        if names:
            out.append(PolicyState(table.schema, table.name, policy, tenant, names))
    return tuple(out)


def with_policies(part: TenantPart, shared: SharedState) -> TenantPart:
    """A tenant's part as read from its JSON, with its policies: derived, for the files
    that do not list them (the current version); as listed, for older ones."""
    if part.schema_version != TENANT_SCHEMA_VERSION:
        return part
    return replace(part, policies=tenant_policies(shared, part.tenant, part.roles))
