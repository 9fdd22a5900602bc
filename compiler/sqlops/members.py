"""Who else holds a managed role: memberships granted to roles paybill does not manage.

A deployment grants each tenant's application role to its own login role (`login_<tenant>`
is granted `app_<tenant>`); that is expected and left alone. What is drift:

* any role but the one that applies (a superuser, or the login running `paybill sql apply`,
  which the SQL files make a member on purpose) being a member of the owner role: it could
  alter or drop every table and switch row-level security off — revoked;
* a tenant's login role (`login_<tenant>`) being a member of another tenant's role: it
  could act as that tenant — revoked;
* any other role holding roles of more than one tenant: reported (which one it should keep
  is not ours to guess).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql, ident
from compiler.emit.sql.state import TargetState
from compiler.resolve.roles import login_role

_OUTSIDE = """
SELECT g.rolname, m.rolname, m.rolsuper
FROM pg_catalog.pg_auth_members a
JOIN pg_catalog.pg_roles g ON g.oid = a.roleid
JOIN pg_catalog.pg_roles m ON m.oid = a.member
WHERE g.rolname = ANY(%(groups)s) AND NOT (m.rolname = ANY(%(managed)s))
"""


@dataclass(frozen=True, order=True)
class Outside:
    """`member`, which paybill does not manage, holds the managed role `group`."""

    group: str
    member: str
    superuser: bool


def query() -> str:
    return _OUTSIDE


def findings(
    state: TargetState, found: set[Outside], applier: str
) -> Iterator[tuple[tuple[str, ...], str, tuple[Sql, ...]]]:
    """(key, text, statements): one per membership that is drift; empty statements when it
    is only reported."""
    tenant_of = {r.name: r.tenant for r in state.roles if r.tenant is not None}
    logins = {login_role(t): t for t in set(tenant_of.values())}
    held: dict[str, set[str]] = defaultdict(set)
    for item in sorted(found):
        if item.group == state.owner:
            if item.superuser or item.member == applier:
                continue
            yield (
                (item.member, item.group),
                f"role {ident(item.member)} is a member of the owner role {ident(state.owner)}: "
                "it could alter or drop every table and turn row-level security off",
                (st.revoke_membership(item.group, item.member),),
            )
            continue
        tenant = tenant_of.get(item.group)
        if tenant is None:
            continue
        own = logins.get(item.member)
        if own is not None and own != tenant:
            yield (
                (item.member, item.group),
                f"login role {ident(item.member)} of tenant {own} is a member of "
                f"{ident(item.group)}, a role of tenant {tenant}",
                (st.revoke_membership(item.group, item.member),),
            )
        elif own is None:
            held[item.member].add(tenant)
    for member, tenants in sorted(held.items()):
        if len(tenants) > 1:
            yield (
                (member, "tenants"),
                f"role {ident(member)} holds roles of several tenants "
                f"({', '.join(sorted(tenants))}); revoke the ones it should not have",
                (),
            )
