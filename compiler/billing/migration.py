"""A plan change that changes the tenant's isolation (and so where its data lives) is a
migration: proposed, never applied on its own. The edit is made without any confirmation,
so `paybill compile` and `paybill plan` refuse it until reviewers add one; this paragraph
of the pull request says so. The one place to call the migration planner from once the
migration confirmation exists (gitops.md, Migrations)."""

from __future__ import annotations


def migration_note(tenant: str, change: tuple[str, str], refusal: str | None) -> str:
    """The pull request's paragraph on a migration. `refusal` is what the compiler says
    against the edit (then the commit holds the spec edit alone); None when it compiles."""
    old, new = change
    lines = [
        f"**This is a migration.** Tenant `{tenant}` moves from a {old} plan to a {new} one: "
        "its data moves to another home. The change is proposed without any confirmation; "
        "review it as a migration (docs/billing.md, Migrations).",
    ]
    if refusal:
        lines += [
            "",
            "`paybill compile` and `paybill plan` refuse it until a reviewer plans the move "
            "and adds the confirmation named here:",
            "",
            "```",
            refusal,
            "```",
            "",
            "`generated/` is therefore not regenerated in this commit.",
        ]
    else:
        lines += [
            "",
            "The compiler accepts the edit and `generated/` is regenerated; `paybill plan` "
            "(with Terraform) refuses what the move deletes or replaces until the spec "
            "confirms it.",
        ]
    return "\n".join(lines)
