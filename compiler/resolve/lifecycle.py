"""Tenant lifecycle and subscription rules, statically and against a baseline.

Static rules read one tenant. Transition rules compare a tenant with what it was on the base
branch (or in the last compiled manifest): a tenant reaches `deleted` only through
`offboarding`, and data never disappears without `confirmDataDeletion: <tenant name>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from compiler.dsl import Parsed, Tenant
from compiler.errors import Diagnostic, Location
from compiler.resolve import model
from compiler.resolve.context import Context

# state -> states it may move to in one change (staying put is always allowed)
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"active", "offboarding"}),
    "active": frozenset({"suspended", "offboarding"}),
    "suspended": frozenset({"active", "offboarding"}),
    "offboarding": frozenset({"active", "deleted"}),
    "deleted": frozenset(),
}
SUBSCRIPTION_TRANSITIONS: dict[str, frozenset[str]] = {
    "trialing": frozenset({"active", "past_due", "canceled"}),
    "active": frozenset({"past_due", "canceled"}),
    "past_due": frozenset({"active", "canceled"}),
    "canceled": frozenset({"active"}),
}
NEW_TENANT_STATES = frozenset({"pending", "active", "suspended"})


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a tenant was before this change."""

    state: str
    subscription: str
    isolation: str
    plan: str
    location: Location


def check_static(ctx: Context, doc: Parsed[Tenant], plan: model.Plan | None) -> None:
    spec = doc.model.spec
    state, status = spec.state, spec.subscription.status
    if status == "canceled" and state not in ("offboarding", "deleted"):
        ctx.error(
            doc,
            ("spec", "subscription", "status"),
            f"a canceled subscription needs state offboarding or deleted, not {state}",
            "set 'state: offboarding' to start removing the tenant",
        )
    if state == "deleted" and status != "canceled":
        ctx.error(
            doc,
            ("spec", "state"),
            f"a deleted tenant's subscription must be canceled, not {status}",
        )
    if state == "deleted" and spec.confirm_data_deletion is None:
        ctx.error(
            doc,
            ("spec", "state"),
            "deleting a tenant destroys its data and needs an explicit confirmation",
            f"add 'confirmDataDeletion: {doc.name}' to the spec, for reviewers to see",
        )
    if spec.confirm_data_deletion is not None and spec.confirm_data_deletion != doc.name:
        ctx.error(
            doc,
            ("spec", "confirmDataDeletion"),
            f"confirmation '{spec.confirm_data_deletion}' does not match the tenant's name",
            f"write 'confirmDataDeletion: {doc.name}'",
        )
    if plan is None or status != "trialing":
        return
    if plan.isolation == "silo":
        ctx.error(
            doc,
            ("spec", "subscription", "status"),
            f"trialing tenants are not silo, but plan '{plan.name}' is",
            "start the trial on a pooled or bridge plan and move to silo when it converts",
        )
    elif plan.trial_days == 0:
        ctx.error(
            doc,
            ("spec", "subscription", "status"),
            f"plan '{plan.name}' offers no trial (billing.trialDays is 0)",
        )


def check_transitions(
    ctx: Context,
    tenants: Mapping[str, Parsed[Tenant]],
    isolation_of: Mapping[str, str],
    baseline: Mapping[str, Baseline],
    base_name: str,
) -> None:
    """Compare every tenant with its baseline; report forbidden moves and unconfirmed loss."""
    for name, doc in sorted(tenants.items()):
        spec = doc.model.spec
        before = baseline.get(name)
        if before is None:
            if spec.state not in NEW_TENANT_STATES:
                ctx.error(
                    doc,
                    ("spec", "state"),
                    f"a new tenant cannot start as {spec.state}",
                    f"not in {base_name}; new tenants start pending or active",
                )
            continue
        if spec.state != before.state and spec.state not in TRANSITIONS[before.state]:
            allowed = sorted(TRANSITIONS[before.state])
            ctx.error(
                doc,
                ("spec", "state"),
                f"state cannot change from {before.state} to {spec.state} in one step",
                f"from {before.state} it may become: {', '.join(allowed) or 'nothing'}"
                + (" (deleted only through offboarding)" if spec.state == "deleted" else ""),
            )
        status = spec.subscription.status
        if status != before.subscription and status not in SUBSCRIPTION_TRANSITIONS.get(
            before.subscription, frozenset()
        ):
            ctx.error(
                doc,
                ("spec", "subscription", "status"),
                f"subscription cannot change from {before.subscription} to {status}",
            )
        dedicated_before = before.isolation in ("silo", "bridge")
        dedicated_now = isolation_of.get(name) in ("silo", "bridge") and spec.state != "deleted"
        if dedicated_before and not dedicated_now and spec.confirm_data_deletion != name:
            ctx.error(
                doc,
                ("spec", "plan"),
                f"this change removes the tenant's dedicated database "
                f"({before.isolation} plan '{before.plan}' in {base_name})",
                f"add 'confirmDataDeletion: {name}' once the data is migrated or may go",
            )
    for name, before in sorted(baseline.items()):
        if name not in tenants and before.state != "deleted":
            ctx.problems.add(
                Diagnostic(
                    before.location,
                    f"tenant '{name}' was removed from the spec while {before.state} "
                    f"(in {base_name})",
                    f"Tenant/{name}",
                    hint="set 'state: offboarding', then 'deleted' with confirmDataDeletion; "
                    "remove the document only after that has been applied",
                )
            )
