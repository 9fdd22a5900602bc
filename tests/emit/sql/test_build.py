"""What each role gets, by tenant state; profiles, memberships and policies per target."""

from __future__ import annotations

import pytest

from compiler.emit.artifact import canonical_json
from compiler.emit.sql.build import build_target
from compiler.emit.sql.state import Atom, Privilege, TableGrant, from_json, to_json
from compiler.pipeline import validate
from compiler.resolve import ResolvedSpec
from tests.conftest import EXAMPLES, SPEC
from tests.emit.sql.compiled import emit_sql

FLEET = next(p for p in EXAMPLES if p.name == "pooled-fleet")
SILO = next(p for p in EXAMPLES if p.name == "silo-enterprise")
RW: tuple[Privilege, ...] = ("SELECT", "INSERT", "UPDATE", "DELETE")


@pytest.fixture(scope="module")
def fleet() -> ResolvedSpec:
    return validate(FLEET)


@pytest.fixture(scope="module")
def ledger() -> ResolvedSpec:
    return validate(SPEC)


def targets(spec: ResolvedSpec) -> list[str]:
    return sorted({a.path.split("/")[1] for a in emit_sql(spec)})


def test_targets_are_pools_and_live_dedicated_tenants(ledger: ResolvedSpec) -> None:
    # soylent is deleted (and pooled); stark is offboarding but still has its database.
    assert targets(ledger) == [
        "pool-eu-shared",
        "pool-us-shared",
        "tenant-acme",
        "tenant-globex",
        "tenant-stark",
        "tenant-wayne",
    ]
    assert targets(validate(SILO)) == [
        "tenant-county-health",
        "tenant-lakeside-clinic",
        "tenant-mercy-general",
        "tenant-st-olaf",
    ]


def test_app_roles_by_tenant_state(fleet: ResolvedSpec) -> None:
    state = build_target(fleet, "pool-fleet-eu")
    member_of = {r.name: r.member_of for r in state.roles if r.kind == "app"}
    assert member_of == {
        "app_alpha_co": ("paybill_pool_fleet_eu_app",),  # active
        "app_bravo_labs": ("paybill_pool_fleet_eu_app",),  # active, past due
        "app_charlie_works": ("paybill_pool_fleet_eu_app",),  # active
        "app_delta_ltd": ("paybill_pool_fleet_eu_app_readonly",),  # suspended
        "app_echo_inc": ("paybill_pool_fleet_eu_app",),  # active, trialing
        "app_foxtrot": ("paybill_pool_fleet_eu_app_readonly",),  # offboarding
    }
    assert state.role("paybill_pool_fleet_eu_app").grants == (
        TableGrant("order", "user-accounts", RW),
        TableGrant("order", "work-items", RW),
    )
    assert state.role("paybill_pool_fleet_eu_app_readonly").grants == (
        TableGrant("order", "user-accounts", ("SELECT",)),
        TableGrant("order", "work-items", ("SELECT",)),
    )


def test_agents_only_where_entitled_and_privileges_exactly_from_steps(
    fleet: ResolvedSpec,
) -> None:
    state = build_target(fleet, "pool-fleet-eu")
    agents = {r.name: r.member_of for r in state.roles if r.kind == "agent"}
    # charlie-works' plan allows 0 agent runs; delta-ltd and foxtrot are not active.
    assert agents == {
        "agent_alpha_co_nudger": ("paybill_pool_fleet_eu_agent_nudger",),
        "agent_bravo_labs_nudger": ("paybill_pool_fleet_eu_agent_nudger",),
        "agent_echo_inc_nudger": ("paybill_pool_fleet_eu_agent_nudger",),
    }
    profile = state.role("paybill_pool_fleet_eu_agent_nudger")
    assert profile.workflows == ("dormant-accounts", "stale-items")
    assert profile.grants == (
        TableGrant("order", "user-accounts", ("DELETE",), select=("group", "id", "last-seen")),
        TableGrant(
            "order",
            "work-items",
            select=("from", "id", "nudged", "select", "updated_at"),
            update=("nudged",),
        ),
    )
    # Tenant roles hold nothing themselves: everything comes through the profile.
    assert all(not r.grants for r in state.roles if r.kind != "grants")


def test_an_agent_with_fewer_workflows_gets_its_own_narrower_profile(
    ledger: ResolvedSpec,
) -> None:
    # initech's plan has invoice-reminders but not dunning: collections runs one workflow.
    state = build_target(ledger, "pool-eu-shared")
    role = state.role("agent_initech_collections")
    assert role.workflows == ("invoice-reminders",)
    assert role.member_of == ("paybill_pool_eu_shared_agent_collections_invoice_reminders",)
    assert state.role(role.member_of[0]).grants == (
        TableGrant(
            "billing",
            "invoices",
            select=(
                "amount_cents",
                "currency",
                "customer_email",
                "due_at",
                "id",
                "reminder_sent_at",
                "status",
            ),
            update=("reminder_sent_at",),
        ),
    )


def test_pending_gets_read_write_and_deleted_gets_nothing(ledger: ResolvedSpec) -> None:
    state = build_target(ledger, "pool-eu-shared")
    assert state.role("app_piedpiper").member_of == ("paybill_pool_eu_shared_app",)
    assert not any(r.tenant == "soylent" for r in state.roles)
    assert not any(p.tenant == "soylent" for p in state.policies)
    stark = build_target(ledger, "tenant-stark")  # offboarding silo: read-only, no agents
    assert [(r.name, r.member_of) for r in stark.roles if r.kind != "grants"] == [
        ("app_stark", ("paybill_tenant_stark_app_readonly",)),
    ]


def test_shared_tables_are_read_only_and_without_row_security(ledger: ResolvedSpec) -> None:
    state = build_target(ledger, "tenant-acme")
    currencies = next(t for t in state.tables if t.name == "currencies")
    assert (currencies.tenant_scoped, currencies.row_security) == (False, False)
    writes = {
        a
        for a in state.atoms()
        if a.table == "currencies" and a.privilege in ("INSERT", "UPDATE", "DELETE")
    }
    assert writes == set()
    assert Atom("paybill_tenant_acme_app", "billing", "currencies", "SELECT", None) in state.atoms()
    assert not any(p.table == "currencies" for p in state.policies)


def test_one_policy_per_tenant_and_tenant_scoped_table(fleet: ResolvedSpec) -> None:
    state = build_target(fleet, "pool-fleet-eu")
    assert all(t.row_security for t in state.tables)
    on_work_items = {p.name: (p.tenant, p.roles) for p in state.policies if p.table == "work-items"}
    assert on_work_items == {
        "tenant_alpha_co": ("alpha-co", ("agent_alpha_co_nudger", "app_alpha_co")),
        "tenant_bravo_labs": ("bravo-labs", ("agent_bravo_labs_nudger", "app_bravo_labs")),
        "tenant_charlie_works": ("charlie-works", ("app_charlie_works",)),
        "tenant_delta_ltd": ("delta-ltd", ("app_delta_ltd",)),
        "tenant_echo_inc": ("echo-inc", ("agent_echo_inc_nudger", "app_echo_inc")),
        "tenant_foxtrot": ("foxtrot", ("app_foxtrot",)),
    }


def test_the_state_file_round_trips_and_rejects_unknown_fields(fleet: ResolvedSpec) -> None:
    state = build_target(fleet, "pool-fleet-eu")
    text = canonical_json(to_json(state))
    assert from_json(text) == state
    assert b'"schemaVersion": "paybill.dev/sql-state/v1"' in text
    broken = text.replace(b'"tenantScoped"', b'"tenantScope"', 1)
    with pytest.raises(ValueError, match="tenantScope"):
        from_json(broken)
