"""Golden pull-request summaries: what a reviewer reads for the changes a platform team makes
most, each planned without a cloud (`--no-terraform`) and kept whole under
`tests/operate/__snapshots__/test_summaries/`. Read them as a reviewer would when they
change (`--snapshot-update`): each must name what changes, once, with how many tenants it
reaches, and fit in one comment.

Each scenario starts from a repository of `spec/`'s plans, tables, tools, agents and
workflows, one pool and these tenants: alpha (starter, pooled), bravo (pro, bridge), charlie
(enterprise, silo) and, where it says so, more.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from compiler.operate.summary import LIMIT
from tests.operate.repo import TENANTS, Repository, tenant
from tests.support.tools import require_binary

pytestmark = pytest.mark.slow


class Summary(SingleFileSnapshotExtension):
    """One snapshot file per scenario, the Markdown itself, so review reads it as shown."""

    file_extension = "md"
    _write_mode = WriteMode.TEXT


def plan(repo: Repository, base: str | None = "HEAD~1") -> str:
    args = ["plan", "--no-terraform", *(["--base", base] if base else [])]
    run = repo.paybill(*args)
    assert run.code in (1, 2), run
    summary = (repo.root / "plan/summary.md").read_text()
    details = (repo.root / "plan/details.md").read_text()
    assert len(summary) <= LIMIT
    assert "None" not in summary + details
    return summary


def onboarding(repo: Repository) -> None:
    """A new pooled tenant: its stack, its roles in the pool, what its agents may do."""
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))
    repo.commit("Onboard delta")


def plan_edit(repo: Repository) -> None:
    """Two shared plans edited: limits, a feature and a database size, each said once with
    the tenants it reaches (foxtrot overrides pro's seats, so seats does not reach it)."""
    repo.edit("plans/pro.yaml", "seats: 200, storageGb: 100,", "seats: 250, storageGb: 100,")
    repo.edit(
        "plans/pro.yaml",
        "instanceClass: db.t4g.medium, storageGb: 100,",
        "instanceClass: db.t4g.medium, storageGb: 150,",
    )
    repo.edit("plans/pro.yaml", "features: [sso, ", "features: [sso, webhooks, ")
    repo.edit("plans/starter.yaml", "seats: 20,", "seats: 25,")
    repo.commit("Pro: 250 seats, webhooks, a larger database; Starter: 25 seats")


def agent_widening(repo: Repository) -> None:
    """A workflow that reads a new column and personal data, deletes rows in a new step
    (which needs a person's approval), no longer needs approval for another, and may touch
    more rows per step."""
    repo.edit(
        "schema/tickets.yaml",
        "    - {name: status, type: text}",
        "    - {name: status, type: text}\n"
        "    - {name: requester_phone, type: text, pii: true, nullable: true}",
    )
    repo.edit(
        "workflows/ticket-triage.yaml",
        "columns: [id, subject, body, requester_email]",
        "columns: [id, subject, body, requester_email, requester_phone, status]",
    )
    repo.edit("workflows/ticket-triage.yaml", "maxRowsPerStep: 1}", "maxRowsPerStep: 5}")
    repo.edit("workflows/ticket-triage.yaml", "      approval: human\n", "")
    repo.edit(
        "workflows/ticket-triage.yaml",
        "query: {table: tickets, operation: update, columns: [priority, category], where: [id]}",
        "query: {table: tickets, operation: update, columns: [priority, category], where: [id]}\n"
        "    - id: drop-spam\n      after: [classify]\n"
        "      query: {table: tickets, operation: delete, where: [id, status]}",
    )
    repo.commit("Triage reads status and the phone, drops spam, classifies without a person")


def classify_needs_approval(repo: Repository) -> None:
    """The base of agent_widening: classifying a ticket needs a person's approval."""
    repo.edit(
        "workflows/ticket-triage.yaml",
        "      query: {table: tickets, operation: update, columns: [priority, category]",
        "      approval: human\n"
        "      query: {table: tickets, operation: update, columns: [priority, category]",
    )
    repo.commit("Classifying needs approval")


def tenant_changes(repo: Repository) -> None:
    """One tenant's override, another suspended and past due: their own changes."""
    repo.write(
        "tenants/bravo.yaml", tenant("bravo", "pro", extra="  overrides: {limits: {seats: 400}}\n")
    )
    repo.write(
        "tenants/alpha.yaml", tenant("alpha", "starter", state="suspended", subscription="past_due")
    )
    repo.commit("Bravo gets 400 seats; alpha suspended for non-payment")


def move_to_silo(repo: Repository) -> None:
    """A pooled tenant upgraded to a silo plan: a migration, confirmed; its old home kept."""
    repo.write(
        "tenants/alpha.yaml",
        tenant(
            "alpha",
            "enterprise",
            pool=None,
            extra="  migration: {from: pooled/eu-shared, to: silo/aws/eu-central-1}\n",
        ),
    )
    repo.commit("Alpha moves to Enterprise")


def offboarding(repo: Repository) -> None:
    """A tenant deleted after offboarding, with its data deletion confirmed."""
    repo.write(
        "tenants/charlie.yaml",
        tenant(
            "charlie",
            "enterprise",
            pool=None,
            state="deleted",
            subscription="canceled",
            extra="  confirmDataDeletion: charlie\n",
        ),
    )
    repo.commit("Charlie's data deleted")


def charlie_offboarding(repo: Repository) -> None:
    repo.write(
        "tenants/charlie.yaml",
        tenant("charlie", "enterprise", pool=None, state="offboarding", subscription="canceled"),
    )
    repo.commit("Charlie offboarding")


EXTRA = {
    "delta": tenant("delta", "starter"),
    "echo": tenant("echo", "starter"),
    "foxtrot": tenant("foxtrot", "pro", extra="  overrides: {limits: {seats: 300}}\n"),
}
Scenario = tuple[dict[str, str], list[Callable[[Repository], None]], Callable[[Repository], None]]
SCENARIOS: dict[str, Scenario] = {
    "onboarding": (TENANTS, [], onboarding),
    "plan-edit": ({**TENANTS, **EXTRA}, [], plan_edit),
    "agent-widening": (TENANTS, [classify_needs_approval], agent_widening),
    "tenant-changes": (TENANTS, [], tenant_changes),
    "move-to-silo": (TENANTS, [], move_to_silo),
    "offboarding": (TENANTS, [charlie_offboarding], offboarding),
}


@pytest.fixture
def git() -> None:
    require_binary("git", "install git")


# What a reviewer must find in each summary, whatever else it says.
MUST_SAY = {
    "onboarding": [
        "- **delta** added: plan starter (pooled, pool eu-shared), active, subscription active",
        "- **delta**: collections / invoice-reminders / find-overdue: newly reaches personal "
        "data billing.invoices.customer_email",
    ],
    "plan-edit": [
        "### Plans\n\n- **pro**\n",
        "  - seats 200 → 250 — 1 tenant: bravo\n",
        "  - feature webhooks granted — 2 tenants: bravo, foxtrot\n",
        "  - resources.database.storageGb 100 → 150 — 2 tenants: bravo, foxtrot\n",
        "- **starter**\n  - seats 20 → 25 — 3 tenants: alpha, delta, echo\n",
    ],
    "agent-widening": [
        "read-ticket: newly reaches personal data support.tickets.requester_phone",
        "read-ticket: newly reads support.tickets.requester_phone, status",
        "drop-spam: newly deletes from support.tickets",
        "drop-spam: new step that needs human approval",
        "classify: human approval dropped",
        "classify: rows per step raised from 1 to 5",
    ],
    "tenant-changes": [
        "- **alpha**: state active → suspended, subscription active → past_due",
        "- **bravo**: (its overrides) seats 200 → 400",
    ],
    "move-to-silo": [
        "- **alpha**: plan starter → enterprise, isolation pooled → silo, pool eu-shared → none",
        "- **alpha** (isolation): `pooled/eu-shared` → `silo/aws/eu-central-1`",
        "  - ✅ confirmed: `migration: {from: pooled/eu-shared, to: silo/aws/eu-central-1}`",
    ],
    "offboarding": ["- **charlie**: state offboarding → deleted"],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_summary(name: str, tmp_path: Path, git: None, snapshot: SnapshotAssertion) -> None:
    tenants, before, change = SCENARIOS[name]
    repo = Repository.create(tmp_path / "platform", tenants)
    for step in before:
        step(repo)
    change(repo)
    summary = plan(repo)
    assert [line for line in MUST_SAY[name] if line not in summary] == []
    assert summary == snapshot(name=name).use_extension(Summary)


FLEET = 300


def test_the_first_deployment_of_a_fleet_fits_one_comment(
    tmp_path: Path, git: None, snapshot: SnapshotAssertion
) -> None:
    """300 tenants on four plans, everything new: grouped by kind with counts; every line in
    details.md beside it. (Every 25th is a silo tenant: silo networks are allocated by name,
    and these names land on twelve different blocks.)"""
    plans = ("starter", "pro", "free")
    tenants = {}
    for n in range(FLEET):
        name = f"t{n:03d}"
        if n % 25 == 0:
            tenants[name] = tenant(name, "enterprise", pool=None)
        else:
            tenants[name] = tenant(name, plans[n % len(plans)])
    repo = Repository.create(tmp_path / "platform", tenants)
    summary = plan(repo, base=None)
    details = (repo.root / "plan/details.md").read_text()
    assert len(details) > 2 * LIMIT  # the whole story would not fit
    assert f"{FLEET} tenants" in summary
    assert summary == snapshot(name="first-deployment").use_extension(Summary)
