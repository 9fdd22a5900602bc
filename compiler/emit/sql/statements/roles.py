"""Roles and memberships: creating, altering, marking and dropping the roles paybill manages,
and converging who is a member of what."""

from __future__ import annotations

from collections.abc import Sequence

from compiler.emit.sql.quote import Sql, ident, join, keyword, literal, qualified, spread
from compiler.emit.sql.state import INTERNAL_SCHEMA
from compiler.emit.sql.statements.template import call, grantees, text_array

# Every managed role: NOLOGIN (a deployment grants it to a login role), no attribute that
# would let it escape row-level security or administer others. INHERIT, so that a tenant
# role has the privileges of its profile.
ROLE_OPTIONS = (
    "NOSUPERUSER",
    "NOCREATEDB",
    "NOCREATEROLE",
    "INHERIT",
    "NOLOGIN",
    "NOREPLICATION",
    "NOBYPASSRLS",
)


def role_options(options: Sequence[str] = ROLE_OPTIONS) -> Sql:
    return join((keyword(o) for o in options), " ")


def create_role(role: str) -> Sql:
    return call("create_role", role=ident(role), options=role_options())


def create_role_if_missing(role: str) -> Sql:
    return call(
        "create_role_if_missing",
        role_literal=literal(role),
        role=ident(role),
        options=role_options(),
    )


def create_marked_roles(roles: Sequence[str], marker: str) -> Sql:
    """Create each of `roles` that does not exist yet (`ROLE_OPTIONS`) and mark it as managed
    with `marker` (COMMENT ON ROLE), in one block that loops over the names: the files
    create each tenant's and each target's roles this way. The names and the marker reach
    the statements through `format`'s %I and %L, quoted as `ident` and `literal` would."""
    return call(
        "create_marked_roles",
        roles=text_array(roles),
        options=role_options(),
        marker=literal(marker),
    )


def alter_role(role: str, options: Sequence[str]) -> Sql:
    return call("alter_role", role=ident(role), options=role_options(options))


def comment_on_role(role: str, text: str) -> Sql:
    return call("comment_on_role", role=ident(role), text=literal(text))


def drop_role(role: str) -> Sql:
    return call("drop_role", role=ident(role))


def grant_membership(group: str, members: Sequence[str]) -> Sql:
    return call("grant_membership", group=ident(group), members=grantees(members))


def revoke_membership(group: str, member: str) -> Sql:
    return call("revoke_membership", group=ident(group), member=ident(member))


def revoke_admin_option(group: str, member: str) -> Sql:
    return call("revoke_admin_option", group=ident(group), member=ident(member))


def let_applier_own(owner: str) -> Sql:
    """Make the login that applies a member of the owner role unless it already is one (a
    superuser always is): creating objects for another owner requires that membership."""
    return call("let_applier_own", owner_literal=literal(owner), owner=ident(owner))


def keep_memberships(memberships: Sequence[tuple[str, str]]) -> Sql:
    """Revoke every membership of the members named in `memberships` ((group, member)
    pairs) that is not one of them, and any ADMIN OPTION on those that are: the files
    converge memberships as `paybill sql apply` does (`functions.file_functions`)."""
    pairs = [Sql(f"[{literal(g)}, {literal(m)}]") for g, m in sorted(memberships)]
    return call(
        "select_function",
        function=qualified(INTERNAL_SCHEMA, "keep_memberships"),
        arguments=Sql(f"ARRAY[{spread(pairs).lstrip(' ')}]::text[]"),
    )


def retire_roles(marker: str, keep: Sequence[str], schemas: Sequence[str]) -> Sql:
    """Drop the roles marked with `marker` that are not in `keep`, after revoking what they
    hold in `schemas`: a tenant's file retires the roles the tenant no longer has."""
    return call(
        "select_function",
        function=qualified(INTERNAL_SCHEMA, "retire_roles"),
        arguments=Sql(
            spread([literal(marker), text_array(sorted(keep)), text_array(sorted(schemas))])
        ),
    )
