"""A plan change that changes the tenant's isolation (and so where its data lives) is a
migration: proposed, never applied on its own. The edit is made without any confirmation,
so `paybill compile` and `paybill plan` refuse it until reviewers add one; this paragraph
of the pull request says so. The one place to call the migration planner from once the
migration confirmation exists (gitops.md, Migrations)."""

from __future__ import annotations


def migration_note(tenant: str, change: tuple[str, str], refusal: str | None) -> str:
    old, new = change
    lines = [
        f"**This is a migration.** Tenant `{tenant}` moves from a {old} plan to a {new} one: "
        "its data moves to another home. The change is proposed without a confirmation, so "
        "`paybill compile` and `paybill plan` refuse it until a reviewer plans the move and "
        "adds the confirmation the refusal names (docs/billing.md, Migrations).",
    ]
    if refusal:
        lines += ["", "The compiler's refusal:", "", "```", refusal, "```"]
        lines += ["", "`generated/` is therefore not regenerated in this commit."]
    return "\n".join(lines)
