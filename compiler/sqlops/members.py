"""Who else holds a managed role: memberships granted to roles paybill does not manage.

A deployment grants each tenant's application role to its own login role (`login_<tenant>`
is granted `app_<tenant>`); that is expected and left alone. What is drift:

* any role but the one that applies (a superuser, or the login running `paybill sql apply`,
  which the SQL files make a member on purpose) being a member of the owner role: it could
  alter or drop every table and switch row-level security off — revoked; the same for the
  steps role (`paybill_<target>_steps`): a member that is also an agent could change its
  tenant's rows with every step's privileges at once, outside any run;
* a tenant's login role (`login_<tenant>`) being a member of another tenant's role: it
  could act as that tenant — revoked;
* any other role holding roles of more than one tenant: reported (which one it should keep
  is not ours to guess);
* a role holding the approver role (`paybill_<target>_approver`) that holds an agent's role
  too, directly or through other roles: that agent could approve its own steps — the
  membership of the approver through which it holds it is revoked.
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


# Every role holding the approver role, with the direct member it holds it through, and every
# agent role such a holder holds too (memberships followed both ways, however deep).
_APPROVERS = """
WITH RECURSIVE below(direct, oid) AS (
  SELECT a.member, a.member
  FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles g ON g.oid = a.roleid
  WHERE g.rolname = %(approver)s
  UNION
  SELECT b.direct, a.member FROM pg_catalog.pg_auth_members a JOIN below b ON a.roleid = b.oid
), above(start, oid) AS (
  SELECT DISTINCT b.oid, b.oid FROM below b
  UNION
  SELECT ab.start, a.roleid FROM pg_catalog.pg_auth_members a JOIN above ab ON a.member = ab.oid
)
SELECT DISTINCT d.rolname, h.rolname, g.rolname
FROM below b
JOIN above ab ON ab.start = b.oid
JOIN pg_catalog.pg_roles g ON g.oid = ab.oid
JOIN pg_catalog.pg_roles d ON d.oid = b.direct
JOIN pg_catalog.pg_roles h ON h.oid = b.oid
WHERE g.rolname = ANY(%(agents)s)
"""


@dataclass(frozen=True, order=True)
class SelfApproval:
    """`holder` holds the approver role through its direct member `direct`, and holds the
    agent role `agent` too."""

    direct: str
    holder: str
    agent: str


def approvers_query() -> str:
    return _APPROVERS


def self_approvals(
    state: TargetState, found: set[SelfApproval], managed: set[str]
) -> Iterator[tuple[tuple[str, ...], str, tuple[Sql, ...]]]:
    """(key, text, statements): one per membership of the approver role through which an
    agent's role reaches it. A managed role's membership is `_memberships`' to revoke (the
    spec never grants the approver to one)."""
    approver = state.role_of("approver")
    if approver is None:
        return
    done: set[str] = set()
    for item in sorted(found):
        if item.direct in managed or item.direct in done:
            continue
        done.add(item.direct)
        who = ident(item.direct)
        through = "" if item.holder == item.direct else f", and its member {ident(item.holder)}"
        yield (
            (item.direct, approver.name, "agent"),
            f"role {who} is a member of the approver role {ident(approver.name)}"
            f"{through or ' and'} holds the agent role {ident(item.agent)}: an agent could "
            "approve its own steps",
            (st.revoke_membership(approver.name, item.direct),),
        )


def findings(
    state: TargetState, found: set[Outside], applier: str
) -> Iterator[tuple[tuple[str, ...], str, tuple[Sql, ...]]]:
    """(key, text, statements): one per membership that is drift; empty statements when it
    is only reported."""
    tenant_of = {r.name: r.tenant for r in state.roles if r.tenant is not None}
    logins = {login_role(t): t for t in set(tenant_of.values())}
    held: dict[str, set[str]] = defaultdict(set)
    steps = state.role_of("steps")
    for item in sorted(found):
        if item.group in (state.owner, steps.name if steps else None):
            if item.superuser or item.member == applier:
                continue
            harm = (
                "it could alter or drop every table and turn row-level security off"
                if item.group == state.owner
                else "with an agent's role it could change that tenant's rows outside any run"
            )
            what = "the owner role" if item.group == state.owner else "the steps role"
            yield (
                (item.member, item.group),
                f"role {ident(item.member)} is a member of {what} {ident(item.group)}: {harm}",
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
