"""Sections of `summary.md` that group what many tenants share, each with shorter forms.

A shared change (a plan edit, a workflow that reads a new column) reaches many tenants in
the same way; a reviewer wants to read it once, with how many tenants it reaches and which.
So lines that are the same for several tenants are one line naming them, and every section
here can also say the same by kind, with counts, for when the comment must be short (see
`compiler.operate.summary`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from compiler.operate.acl_diff import AclChange
from compiler.operate.entitlements_diff import PlanEdit, TenantEntitlements
from compiler.operate.summary import Section, count, names

ALL_NAMES = 10**9  # `names(..., ALL_NAMES)`: every name


def plans_section(edits: list[PlanEdit]) -> Section:
    """Each value of a shared plan that changed, once, under its plan, with the tenants it
    reaches (those on the plan whose overrides do not decide it)."""

    def lines(shown: int) -> list[str]:
        out = []
        for plan in sorted({e.plan for e in edits}):
            out.append(f"- **{plan}**")
            for e in (e for e in edits if e.plan == plan):
                reach = count(len(e.tenants), "tenant")
                listed = f": {names(e.tenants, shown)}" if shown else ""
                out.append(f"  - {_edit(e)} — {reach}{listed}")
        return out

    return Section("Plans", lines(20), keep=True, shorter=[lines(3), lines(0)])


def _edit(edit: PlanEdit) -> str:
    """`seats 200 → 250`, `feature sso granted`, `feature sso no longer granted`."""
    if edit.what.startswith("feature "):
        return edit.what + (" granted" if edit.after == "granted" else " no longer granted")
    return f"{edit.what} {edit.before} → {edit.after}"


def by_tenants(
    per_tenant: Mapping[str, Iterable[str]], rank: Callable[[str], int] = lambda _: 0
) -> dict[str, list[str]]:
    """line -> the tenants it is said of; by `rank` of the line, then lines said of most
    tenants first, and otherwise in the order they come."""
    groups: dict[str, list[str]] = {}
    for tenant, lines in per_tenant.items():
        for line in lines:
            groups.setdefault(line, []).append(tenant)
    return dict(sorted(groups.items(), key=lambda item: (rank(item[0]), -len(item[1]))))


def grouped(
    per_tenant: Mapping[str, Iterable[str]],
    shown: int,
    rank: Callable[[str], int] = lambda _: 0,
) -> list[str]:
    """One bullet per distinct line, naming its tenants (at most `shown` of them)."""
    out = []
    for line, tenants in by_tenants(per_tenant, rank).items():
        if len(tenants) == 1:
            out.append(f"- **{tenants[0]}**: {line}")
        else:
            out.append(f"- {count(len(tenants), 'tenant')} ({names(tenants, shown)}): {line}")
    return out


_STEP = re.compile(r"^[^:]+ / [^:]+: ")
_NUMBERS = re.compile(r"[0-9][0-9,]*")


def kind_of(line: str) -> str:
    """What kind of change a line says, without its subject: `newly reads`, `new step`."""
    rest = _STEP.sub("", line, count=1)
    if " raised from " in rest:
        return rest.split(" raised from ")[0].split(": ")[-1] + " raised"
    words = rest.split(" ")
    take = 3 if rest.startswith(("newly reaches personal", "human approval")) else 2
    return _NUMBERS.sub("N", " ".join(words[:take]))


def by_kind(per_tenant: Mapping[str, Iterable[str]]) -> list[str]:
    """How many changes of each kind, in how many tenants."""
    lines: dict[str, int] = {}
    tenants: dict[str, set[str]] = {}
    for tenant, said in per_tenant.items():
        for line in said:
            kind = kind_of(line)
            lines[kind] = lines.get(kind, 0) + 1
            tenants.setdefault(kind, set()).add(tenant)
    return [
        f"- {kind}: {count(n, 'change')} in {count(len(tenants[kind]), 'tenant')}"
        for kind, n in sorted(lines.items(), key=lambda item: (-item[1], item[0]))
    ]


def shared_section(
    title: str,
    per_tenant: Mapping[str, list[str]],
    *,
    keep: bool,
    rank: Callable[[str], int] = lambda _: 0,
) -> Section:
    """Lines said of tenants: grouped across tenants, then fewer names, then by kind."""
    present = {t: lines for t, lines in per_tenant.items() if lines}
    return Section(
        title,
        grouped(present, ALL_NAMES, rank),
        keep=keep,
        shorter=[grouped(present, 3, rank), by_kind(present)],
    )


def entitlements_section(own: Mapping[str, TenantEntitlements]) -> Section:
    """Entitlement changes of tenants' own (overrides, a move to another plan)."""
    return shared_section(
        "Entitlements of single tenants", {t: e.lines for t, e in own.items()}, keep=True
    )


def acl_detail_section(changes: Mapping[str, AclChange]) -> Section:
    """Every agent permission change, each naming the tenants it is said of; shorter: fewer
    names; then the counts per tenant, then the totals."""
    per_tenant = {
        tenant: [
            *(f"allowed: {line}" for line in acl.allowed),
            *(f"no longer allowed: {line}" for line in acl.removed),
            # "no longer allowed: <step>: may run" is said by `removed` already
            *(f"narrowed: {line}" for line in _narrowed(acl)),
        ]
        for tenant, acl in changes.items()
    }
    counts: list[str] = []
    for tenant, acl in changes.items():
        counts.append(
            f"- **{tenant}**: {len(acl.allowed):,} allowed, {len(acl.removed):,} no longer "
            f"allowed, {len(_narrowed(acl)):,} narrowed"
        )
    totals = [
        f"- {count(len(changes), 'tenant')}: "
        f"{sum(len(a.allowed) for a in changes.values()):,} allowed, "
        f"{sum(len(a.removed) for a in changes.values()):,} no longer allowed, "
        f"{sum(len(_narrowed(a)) for a in changes.values()):,} narrowed"
    ]
    present = {t: lines for t, lines in per_tenant.items() if lines}
    return Section(
        "Agent permissions",
        grouped(present, ALL_NAMES),
        shorter=[grouped(present, 3), counts, totals],
    )


def _narrowed(acl: AclChange) -> list[str]:
    return [line for line in acl.narrowed if not line.startswith("no longer allowed: ")]
