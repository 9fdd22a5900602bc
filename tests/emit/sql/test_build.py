"""What each role gets, by tenant state; profiles, memberships and policies per target;
the target's shared state names no tenant."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest
from pydantic import TypeAdapter

from compiler.emit.artifact import canonical_json
from compiler.emit.sql.build import build_runtime, build_shared, build_target, build_tenant
from compiler.emit.sql.policies import with_policies
from compiler.emit.sql.runtime import (
    assemble,
    runtime_from_json,
    runtime_json,
    split,
    target_from_json,
    target_json,
    target_part,
    with_profile,
)
from compiler.emit.sql.state import (
    Atom,
    Privilege,
    StepColumn,
    StepState,
    TableGrant,
    TenantLimits,
    TenantPart,
    TenantRow,
    shared_from_json,
    tenant_from_json,
    to_json,
)
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
    return sorted({a.path.split("/")[1] for a in emit_sql(spec)} - {"shared"})


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


def test_agents_only_where_entitled_and_no_table_privilege_at_all(
    fleet: ResolvedSpec,
) -> None:
    state = build_target(fleet, "pool-fleet-eu")
    agents = {r.name: r.member_of for r in state.roles if r.kind == "agent"}
    # charlie-works' plan allows 0 agent runs; delta-ltd and foxtrot are not active.
    both = (
        "paybill_pool_fleet_eu_workflow_dormant_accounts",
        "paybill_pool_fleet_eu_workflow_stale_items",
    )
    assert agents == {
        "agent_alpha_co_nudger": both,
        "agent_bravo_labs_nudger": both,
        "agent_echo_inc_nudger": both,
    }
    dormant = state.role("paybill_pool_fleet_eu_workflow_dormant_accounts")
    assert (dormant.workflows, dormant.grants) == (("dormant-accounts",), ())
    assert state.role("paybill_pool_fleet_eu_workflow_stale_items").grants == ()
    # What the steps of every workflow need is the steps role's, column by column.
    steps = state.role("paybill_pool_fleet_eu_steps")
    assert (steps.kind, steps.workflows) == ("steps", ("dormant-accounts", "stale-items"))
    assert steps.grants == (
        TableGrant("order", "user-accounts", ("DELETE",), select=("group", "id", "last-seen")),
        TableGrant(
            "order",
            "work-items",
            select=("from", "id", "nudged", "select", "updated_at"),
            update=("nudged",),
        ),
    )
    # Tenant roles hold nothing themselves; agents not even through their profiles.
    assert all(not r.grants for r in state.roles if r.tenant is not None)
    grants = state.effective_grants()
    assert all(not grants[r.name] for r in state.roles if r.kind == "agent")


def test_an_agent_with_fewer_workflows_is_a_member_of_fewer_profiles(
    ledger: ResolvedSpec,
) -> None:
    # initech's plan has invoice-reminders but not dunning: collections runs one workflow.
    state = build_target(ledger, "pool-eu-shared")
    role = state.role("agent_initech_collections")
    assert role.workflows == ("invoice-reminders",)
    assert role.member_of == ("paybill_pool_eu_shared_workflow_invoice_reminders",)
    functions = [s.function for s in state.steps if s.profile == role.member_of[0]]
    assert functions == [
        "invoice-reminders.find-overdue",
        "invoice-reminders.mark-sent",
        "invoice-reminders.notify",
    ]
    assert [a.workflows for t, a in state.agents if a.role == role.name] == [("invoice-reminders",)]


def test_pending_gets_read_write_and_deleted_gets_nothing(ledger: ResolvedSpec) -> None:
    state = build_target(ledger, "pool-eu-shared")
    assert state.role("app_piedpiper").member_of == ("paybill_pool_eu_shared_app",)
    assert not any(r.tenant == "soylent" for r in state.roles)
    assert not any(p.tenant == "soylent" for p in state.policies)
    stark = build_target(ledger, "tenant-stark")  # offboarding silo: read-only, no agents
    assert [(r.name, r.member_of) for r in stark.roles if r.tenant is not None] == [
        ("app_stark", ("paybill_tenant_stark_app_readonly",)),
    ]
    # Its entitlements: the enterprise plan's limits (null: unlimited) and features.
    enterprise = TenantRow(
        "stark",
        "offboarding",
        None,
        "app_stark",
        "enterprise",
        TenantLimits(seats=None, storage_gb=1000, api_requests_per_second=500),
        (
            "ai-support",
            "audit-log",
            "dunning",
            "invoice-reminders",
            "reconciliation",
            "refunds",
            "sso",
        ),
    )
    assert (stark.tenants, stark.agents) == ((enterprise,), ())


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
    on_work_items = {
        p.name: (p.bound, p.tenant, p.roles) for p in state.policies if p.table == "work-items"
    }
    assert on_work_items == {
        # The steps role's one policy: bound to the tenant of the agent calling a step.
        "paybill_steps": ("caller", "", ("paybill_pool_fleet_eu_steps",)),
        "tenant_alpha_co": ("tenant", "alpha-co", ("app_alpha_co",)),
        "tenant_bravo_labs": ("tenant", "bravo-labs", ("app_bravo_labs",)),
        "tenant_charlie_works": ("tenant", "charlie-works", ("app_charlie_works",)),
        "tenant_delta_ltd": ("tenant", "delta-ltd", ("app_delta_ltd",)),
        "tenant_echo_inc": ("tenant", "echo-inc", ("app_echo_inc",)),
        "tenant_foxtrot": ("tenant", "foxtrot", ("app_foxtrot",)),
    }


def test_keys_of_tenant_scoped_tables_start_with_the_tenant_column(
    ledger: ResolvedSpec, fleet: ResolvedSpec
) -> None:
    # In pools and in dedicated databases alike; shared reference data keeps its own key.
    for spec, target in (
        (ledger, "pool-eu-shared"),
        (ledger, "tenant-acme"),
        (fleet, "pool-fleet-eu"),
    ):
        keys = {t.name: t.primary_key for t in build_target(spec, target).tables}
        if spec is ledger:
            assert keys["invoices"] == ("tenant_id", "id")
            assert keys["currencies"] == ("code",)
        else:
            assert keys == {"user-accounts": ("tenant_id", "id"), "work-items": ("tenant_id", "id")}


def test_the_shared_state_is_the_same_whichever_tenants_a_target_holds(
    ledger: ResolvedSpec, fleet: ResolvedSpec
) -> None:
    pool = build_shared(ledger, "pool-eu-shared")
    text = canonical_json(to_json(pool))
    assert b"initech" not in text
    assert b"piedpiper" not in text
    # Every target of a spec has the same profiles, whatever its tenants are entitled to.
    profiles = [r.name.removeprefix("paybill_pool_eu_shared_") for r in pool.profiles]
    silo = build_shared(ledger, "tenant-stark")
    assert [r.name.removeprefix("paybill_tenant_stark_") for r in silo.profiles] == profiles
    assert profiles == [
        "app",
        "app_readonly",
        "approver",
        "steps",
        "workflow_dunning_escalation",
        "workflow_invoice_reminders",
        "workflow_payment_reconciliation",
        "workflow_refund_approval",
        "workflow_ticket_triage",
    ]
    assert [s.function for s in pool.steps] == [s.function for s in silo.steps]
    assert pool.workflows == silo.workflows


def test_the_runtime_names_no_target_and_each_target_only_its_roles(
    ledger: ResolvedSpec,
) -> None:
    runtime = build_runtime(ledger)
    text = canonical_json(runtime_json(runtime))
    for name in ("pool-eu-shared", "pool_eu_shared", "tenant-acme", "tenant_acme", "initech"):
        assert name.encode() not in text
    assert [p.key for p in runtime.profiles] == [
        "app",
        "app-readonly",
        "approver",
        "steps",
        "workflow:dunning-escalation",
        "workflow:invoice-reminders",
        "workflow:payment-reconciliation",
        "workflow:refund-approval",
        "workflow:ticket-triage",
    ]
    assert {s.profile for s in runtime.steps} == {
        p.key for p in runtime.profiles if p.key.startswith("workflow:")
    }
    for target in ("pool-eu-shared", "tenant-stark"):
        part = target_part(runtime, target)
        assert assemble(runtime, part) == build_shared(ledger, target)
        assert split(build_shared(ledger, target)) == (runtime, part)
        prefix = f"paybill_{target.replace('-', '_')}_"
        assert all(p.role.startswith(prefix) for p in part.profiles)


def test_the_state_files_round_trip_and_reject_unknown_fields(fleet: ResolvedSpec) -> None:
    runtime = build_runtime(fleet)
    text = canonical_json(runtime_json(runtime))
    assert runtime_from_json(text) == runtime
    assert b'"schemaVersion": "paybill.dev/sql-runtime/v1"' in text
    broken = text.replace(b'"tenantScoped"', b'"tenantScope"', 1)
    with pytest.raises(ValueError, match="tenantScope"):
        runtime_from_json(broken)
    own = target_part(runtime, "pool-fleet-eu")
    text = canonical_json(target_json(own))
    assert target_from_json(text) == own
    assert b'"schemaVersion": "paybill.dev/sql-target/v1"' in text
    with pytest.raises(ValueError, match="schemaVersion"):
        target_from_json(text.replace(b"sql-target/v1", b"sql-state/v3"))
    # The whole shared state, as state.json held it before the runtime was shared.
    shared = build_shared(fleet, "pool-fleet-eu")
    text = canonical_json(to_json(shared))
    assert shared_from_json(text) == shared
    assert b'"schemaVersion": "paybill.dev/sql-state/v3"' in text
    part = build_tenant(shared, fleet.tenant("alpha-co"))
    assert part.policies
    text = canonical_json(to_json(part))
    assert b'"policies"' not in text  # derived from the roles when read
    assert with_policies(tenant_from_json(text), shared) == part
    assert b'"schemaVersion": "paybill.dev/sql-tenant/v4"' in text
    assert part.plan == "team"
    assert b'"features": [\n    "cleanup",\n    "nudges"\n  ]' in text
    with pytest.raises(ValueError, match="schemaVersion"):
        tenant_from_json(text.replace(b"sql-tenant/v4", b"sql-tenant/v0"))
    # A part of the previous version lists its policies: they are taken as listed.
    old = to_json(replace(part, schema_version="paybill.dev/sql-tenant/v2"))
    assert isinstance(old, dict)
    old["policies"] = [{**p, "tenant": "someone-else"} for p in old_policies(part)]
    parsed = with_policies(tenant_from_json(canonical_json(old)), shared)
    assert {p.tenant for p in parsed.policies} == {"someone-else"}


def old_policies(part: TenantPart) -> list[dict[str, object]]:
    data = TypeAdapter(TenantPart).dump_python(part, mode="json")
    return list(data["policies"])


def test_state_files_of_the_previous_version_are_still_read(fleet: ResolvedSpec) -> None:
    """A base compiled by the previous paybill can still be compared with: what the old
    files lack takes its default."""
    shared = build_shared(fleet, "pool-fleet-eu")
    data = to_json(shared)
    assert isinstance(data, dict)
    old = {k: v for k, v in data.items() if k not in ("settings", "steps", "workflows")}
    old["schemaVersion"] = "paybill.dev/sql-state/v2"
    for table in old["tables"]:
        del table["keyColumns"], table["indexes"]
        for column in table["columns"]:
            del column["default"]
    parsed = shared_from_json(canonical_json(old))
    assert (parsed.steps, parsed.tables[0].primary_key) == ((), ("id",))


def test_a_step_named_for_a_target_keeps_every_other_field() -> None:
    """`with_profile` lists the fields by hand: every field differs from its default here,
    so one it forgot (a field added later) fails."""
    column = StepColumn("id", "uuid", False)
    step = StepState(
        workflow="w",
        step="s",
        function="f",
        profile="",
        after=("a",),
        approval=True,
        operation="update",
        schema="sch",
        table="t",
        columns=(column,),
        where=(column,),
        max_rows=5,
        tenant_column="tenant_id",
        max_steps=9,
        key_size=1,
    )
    defaults = StepState("", "", "", "", (), False, "tool")
    others = [f.name for f in fields(StepState) if f.name != "profile"]
    assert all(getattr(step, name) != getattr(defaults, name) for name in others)
    assert with_profile(step, "p") == replace(step, profile="p")
