"""Compile-time lints: each finding fails the build with a message naming what is wrong.

One is reachable from a spec (an agent writing to a shared table in a pool); the others
guard the compiled state itself, so they are shown failing on states broken by hand.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from compiler.emit.sql import lints
from compiler.emit.sql.build import build_target
from compiler.emit.sql.state import TableGrant, TargetState
from compiler.errors import SpecError
from compiler.pipeline import validate
from compiler.resolve import ResolvedSpec
from tests.conftest import ALL_SPECS, EXAMPLES, WriteSpec
from tests.emit.sql.compiled import emit_sql
from tests.emit.sql.specs import SHARED_WRITE

FLEET = next(p for p in EXAMPLES if p.name == "pooled-fleet")
NUDGER = "paybill_pool_fleet_eu_workflow_stale_items"  # one of the nudger's two profiles
STEPS = "paybill_pool_fleet_eu_steps"


@pytest.fixture(scope="module")
def fleet() -> ResolvedSpec:
    return validate(FLEET)


@pytest.fixture(scope="module")
def good(fleet: ResolvedSpec) -> TargetState:
    return build_target(fleet, "pool-fleet-eu")


def messages(spec: ResolvedSpec, state: TargetState) -> list[str]:
    return [d.render() for d in lints.lint(spec, state)]


def with_role(state: TargetState, name: str, **changes: object) -> TargetState:
    roles = tuple(replace(r, **changes) if r.name == name else r for r in state.roles)  # type: ignore[arg-type]
    return replace(state, roles=roles)


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_the_repository_specs_are_clean(spec_dir: object) -> None:
    spec = validate(spec_dir)  # type: ignore[arg-type]
    assert emit_sql(spec)  # emit runs the lints and would raise


def test_an_agent_writing_a_shared_table_in_a_pool_fails_the_build(
    write_spec: WriteSpec,
) -> None:
    spec = validate(write_spec(SHARED_WRITE))
    with pytest.raises(SpecError) as raised:
        emit_sql(spec)
    assert raised.value.render() == (
        "sql:pool-shared: Workflow/sync-rates spec.steps: step 'write' writes to table "
        "'rates', which is not tenant-scoped: in pool 'shared' its rows are shared by every "
        "tenant and no row-level security applies to them (make the table tenantScoped, or "
        "only read it from pooled tenants)\n"
        "1 error found"
    )


def test_row_security_not_forced(fleet: ResolvedSpec, good: TargetState) -> None:
    tables = tuple(replace(t, row_security=t.name != "work-items") for t in good.tables)
    assert messages(fleet, replace(good, tables=tables)) == [
        "sql:pool-fleet-eu: tenant-scoped table 'order.work-items' would not have row-level "
        "security enabled and forced",
    ]


def test_a_role_without_its_policy_or_bound_to_another_tenant(
    fleet: ResolvedSpec, good: TargetState
) -> None:
    policies = tuple(
        replace(p, roles=(*p.roles, "app_alpha_co"))
        if (p.table, p.tenant) == ("work-items", "bravo-labs")
        else p
        for p in good.policies
        if (p.table, p.tenant) != ("user-accounts", "echo-inc")
        and (p.table, p.bound) != ("work-items", "caller")
    )
    assert messages(fleet, replace(good, policies=policies)) == [
        "sql:pool-fleet-eu: role 'app_alpha_co' of tenant 'alpha-co' may use tenant-scoped "
        "table 'order.work-items' but is bound by policies to tenants ['alpha-co', "
        "'bravo-labs']; it must be bound to exactly ['alpha-co']",
        "sql:pool-fleet-eu: role 'app_echo_inc' of tenant 'echo-inc' may use tenant-scoped "
        "table 'order.user-accounts' but is bound by policies to tenants []; it must be bound "
        "to exactly ['echo-inc']",
        "sql:pool-fleet-eu: the steps role 'paybill_pool_fleet_eu_steps' may use tenant-scoped "
        "table 'order.work-items' but is bound by policies to tenants []; it must be bound to "
        "the calling agent's tenant only",
    ]


def test_a_role_that_would_own_the_tables(fleet: ResolvedSpec, good: TargetState) -> None:
    as_owner = replace(good, owner="app_alpha_co")
    assert messages(fleet, as_owner) == [
        "sql:pool-fleet-eu: role 'app_alpha_co' would own the schemas and tables and also be a "
        "tenant or profile role (the owner role must be used by nothing else)",
    ]
    member = with_role(good, "app_foxtrot", member_of=("paybill_owner",))
    assert messages(fleet, member) == [
        "sql:pool-fleet-eu: role 'app_foxtrot' would be a member of the owner role "
        "'paybill_owner' and could alter or drop the tables and their policies",
    ]
    twice = replace(good, roles=(*good.roles, good.roles[0]))
    assert messages(fleet, twice) == [
        "sql:pool-fleet-eu: 2 different managed roles would be named 'paybill_pool_fleet_eu_app'",
    ]


def test_steps_role_grants_wider_than_any_step(fleet: ResolvedSpec, good: TargetState) -> None:
    grants = (
        # `user` is pii and no step reads it; UPDATE on `select` is no step's.
        TableGrant(
            "order", "user-accounts", ("DELETE",), select=("group", "id", "last-seen", "user")
        ),
        TableGrant(
            "order",
            "work-items",
            ("SELECT",),  # whole-table: steps only ever name columns
            update=("nudged", "select"),
        ),
    )
    assert messages(fleet, with_role(good, STEPS, grants=grants)) == [
        f"sql:pool-fleet-eu: the steps role '{STEPS}' would get {what}, wider than any step "
        "of the workflows (dormant-accounts, stale-items) needs"
        for what in (
            "SELECT on column 'user' of 'order.user-accounts'",
            "SELECT on the whole table of 'order.work-items'",
            "UPDATE on column 'select' of 'order.work-items'",
        )
    ]


def test_agents_get_no_table_privilege_at_all(fleet: ResolvedSpec, good: TargetState) -> None:
    # What the agents' profiles held before they acted through functions.
    grants = (TableGrant("order", "work-items", select=("id",), update=("nudged",)),)
    found = messages(fleet, with_role(good, NUDGER, grants=grants))
    # (They would also be bound by no policy: that is reported too.)
    assert [m for m in found if "agents act only" in m] == [
        f"sql:pool-fleet-eu: Agent/nudger: role '{role}' would get {what} of "
        "'order.work-items': agents act only through the functions of their workflows' steps "
        "and hold no privilege on any table"
        for role in ("agent_alpha_co_nudger", "agent_bravo_labs_nudger", "agent_echo_inc_nudger")
        for what in ("SELECT on column 'id'", "UPDATE on column 'nudged'")
    ]


def test_no_tenant_role_is_a_member_of_the_steps_role_or_the_approver(
    fleet: ResolvedSpec, good: TargetState
) -> None:
    both = (STEPS, "paybill_pool_fleet_eu_approver")
    found = messages(fleet, with_role(good, "agent_alpha_co_nudger", member_of=both))
    assert [m for m in found if "would be a member" in m] == [
        "sql:pool-fleet-eu: role 'agent_alpha_co_nudger' would be a member of the approver "
        "'paybill_pool_fleet_eu_approver' and could approve its own steps",
        f"sql:pool-fleet-eu: role 'agent_alpha_co_nudger' would be a member of the steps role "
        f"'{STEPS}' and could act on every tenant's rows",
    ]


def test_every_finding_is_reported_at_once(fleet: ResolvedSpec, good: TargetState) -> None:
    broken = replace(
        with_role(good, "app_foxtrot", member_of=("paybill_owner",)),
        tables=tuple(replace(t, row_security=t.name != "user-accounts") for t in good.tables),
    )
    broken = with_role(
        broken, STEPS, grants=(TableGrant("order", "work-items", update=("nudged", "from")),)
    )
    with pytest.raises(SpecError) as raised:
        lints.check(fleet, [broken])
    assert raised.value.render() == "\n".join(
        [
            "sql:pool-fleet-eu: role 'app_foxtrot' would be a member of the owner role "
            "'paybill_owner' and could alter or drop the tables and their policies",
            "sql:pool-fleet-eu: tenant-scoped table 'order.user-accounts' would not have "
            "row-level security enabled and forced",
            f"sql:pool-fleet-eu: the steps role '{STEPS}' would get UPDATE on column 'from' of "
            "'order.work-items', wider than any step of the workflows (dormant-accounts, "
            "stale-items) needs",
            "3 errors found",
        ]
    )


def test_app_roles_writing_shared_tables_are_reported_too(write_spec: WriteSpec) -> None:
    files = dict(SHARED_WRITE)
    files["agents.yaml"] = files["agents.yaml"].replace("operation: update", "operation: select")
    spec = validate(write_spec(files))
    state = build_target(spec, "pool-shared")
    grants = (TableGrant("app", "rates", ("SELECT", "UPDATE")),)
    assert messages(spec, with_role(state, "paybill_pool_shared_app", grants=grants)) == [
        f"sql:pool-shared: role '{role}' could change table 'rates', which is not "
        "tenant-scoped: in pool 'shared' its rows are shared by every tenant"
        # Only tenant roles: a profile nobody in the pool is a member of changes nothing.
        for role in ("app_acme", "app_bolt_co")
    ]
