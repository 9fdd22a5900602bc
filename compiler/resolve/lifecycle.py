"""Tenant lifecycle and subscription rules, statically and against a baseline.

Static rules read one tenant. Transition rules compare a tenant with what it was on the base
branch (or in the last compiled manifest): a tenant reaches `deleted` only through
`offboarding`, and data never disappears without `confirmDataDeletion: <tenant name>`.
"""

from __future__ import annotations

from collections.abc import Mapping

from compiler.dsl import Parsed, Tenant
from compiler.errors import Diagnostic
from compiler.resolve import migrations, model
from compiler.resolve.baseline import Baseline
from compiler.resolve.context import Context

# state -> states it may move to in one change (staying put is always allowed)
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"active", "offboarding"}),
    "active": frozenset({"suspended", "offboarding"}),
    "suspended": frozenset({"active", "offboarding"}),
    "offboarding": frozenset({"active", "deleted"}),
    "deleted": frozenset(),
}
# Billing news may skip a step (a missed webhook, a trial that ends unpaid): every status
# of a running subscription may follow another; a canceled one can only start again.
_RUNNING = frozenset({"trialing", "active", "past_due", "unpaid", "paused"})
SUBSCRIPTION_TRANSITIONS: dict[str, frozenset[str]] = {
    "trialing": frozenset({"active", "past_due", "unpaid", "paused", "canceled"}),
    "active": frozenset({"past_due", "unpaid", "paused", "canceled"}),
    "past_due": frozenset({"active", "unpaid", "paused", "canceled"}),
    "unpaid": frozenset({"active", "past_due", "paused", "canceled"}),
    "paused": frozenset({"active", "past_due", "unpaid", "canceled"}),
    "canceled": frozenset({"active"}),
}
assert all(SUBSCRIPTION_TRANSITIONS[s] >= _RUNNING - {s, "trialing"} for s in _RUNNING)
NEW_TENANT_STATES = frozenset({"pending", "active", "suspended"})


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
            "choose a plan with billing.trialDays, or set the subscription's status to active",
        )


def check_transitions(
    ctx: Context,
    tenants: Mapping[str, Parsed[Tenant]],
    now: Mapping[str, model.Tenant],
    baseline: Mapping[str, Baseline],
    base_name: str,
) -> None:
    """Compare every tenant with its baseline; report forbidden moves and unconfirmed loss."""
    for name, doc in sorted(tenants.items()):
        before = baseline.get(name)
        if before is None:
            _check_new(ctx, doc, base_name)
            migrations.check_new(ctx, doc, base_name)
            continue
        _check_state(ctx, doc, before)
        _check_subscription(ctx, doc, before)
        old = before.home if before.state != "deleted" else None
        migrations.check_move(ctx, doc, old, now.get(name), base_name)
    for name, before in sorted(baseline.items()):
        gone = name not in tenants and not ctx.is_invalid("Tenant", name)
        if (
            gone
            and before.state != "deleted"
            and not ctx.unchecked(name, f"the removal of tenant '{name}' (in {base_name})")
        ):
            ctx.problems.add(
                Diagnostic(
                    before.location,
                    f"tenant '{name}' was removed from the spec while it is {before.state} "
                    f"in {base_name}",
                    f"Tenant/{name}",
                    hint="set 'state: offboarding', then 'deleted' with confirmDataDeletion; "
                    "remove the document only after that has been applied",
                )
            )


def _check_new(ctx: Context, doc: Parsed[Tenant], base_name: str) -> None:
    state = doc.model.spec.state
    if state not in NEW_TENANT_STATES:
        ctx.error(
            doc,
            ("spec", "state"),
            f"a new tenant (not in {base_name}) cannot start as {state}",
            f"new tenants start as {', '.join(sorted(NEW_TENANT_STATES))}",
        )


def _check_state(ctx: Context, doc: Parsed[Tenant], before: Baseline) -> None:
    state = doc.model.spec.state
    if state == before.state or state in TRANSITIONS[before.state]:
        return
    allowed = ", ".join(sorted(TRANSITIONS[before.state])) or "nothing"
    reason = "; a tenant reaches deleted only through offboarding" if state == "deleted" else ""
    ctx.error(
        doc,
        ("spec", "state"),
        f"state cannot change from {before.state} to {state} in one step{reason}",
        f"from {before.state} it may become: {allowed}",
    )


def _check_subscription(ctx: Context, doc: Parsed[Tenant], before: Baseline) -> None:
    status = doc.model.spec.subscription.status
    possible = SUBSCRIPTION_TRANSITIONS.get(before.subscription, frozenset())
    if status == before.subscription or status in possible:
        return
    ctx.error(
        doc,
        ("spec", "subscription", "status"),
        f"subscription cannot change from {before.subscription} to {status}",
        f"from {before.subscription} it may become: {', '.join(sorted(possible)) or 'nothing'}",
    )
