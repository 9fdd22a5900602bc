"""The Cedar files: they validate, and Cedar decides exactly as the JSON ACL does."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import cedarpy
import pytest

from compiler.acl import AclSet, Query, ToolCall, authorize
from compiler.acl.cedar import CedarAcl, cedar_requests
from compiler.pipeline import validate
from compiler.resolve import ResolvedSpec
from tests.acl.compiled import compile_acl
from tests.conftest import AGENT_SPECS, SPEC

Action = Query | ToolCall


ACTIONS = ("select", "insert", "update", "delete", "filter", "call")


@dataclass(frozen=True)
class Compiled:
    spec: ResolvedSpec
    folder: Path  # the generated/ stand-in
    acls: AclSet
    cedar: CedarAcl


@pytest.fixture(scope="module", params=AGENT_SPECS, ids=lambda p: p.name)
def compiled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    spec_dir: Path = request.param
    out = compile_acl(spec_dir, tmp_path_factory.mktemp(spec_dir.name))
    return Compiled(validate(spec_dir), out, AclSet(out / "acl"), CedarAcl(out / "acl" / "cedar"))


def test_policies_validate_against_the_schema(compiled: Compiled) -> None:
    folder = compiled.folder / "acl" / "cedar"
    result = cedarpy.validate_policies(
        (folder / "policies.cedar").read_text(), (folder / "schema.cedarschema").read_text()
    )
    assert [str(e) for e in result.errors] == []
    assert result.validation_passed


def test_every_entity_file_conforms_to_the_schema(compiled: Compiled) -> None:
    folder = compiled.folder / "acl" / "cedar"
    schema = cedarpy.Schema.from_str((folder / "schema.cedarschema").read_text())
    platform = json.loads((folder / "platform.entities.json").read_bytes())
    tenants = sorted((folder / "tenants").glob("*.entities.json"))
    assert [p.name for p in tenants] == [
        f"{t.name}.entities.json" for t in compiled.spec.live_tenants
    ]
    for path in tenants:
        both = platform + json.loads(path.read_bytes())
        loaded = cedarpy.Entities.from_json_str(json.dumps(both), schema=schema)
        assert len(loaded) == len(both) + len(ACTIONS)  # the schema adds its actions


def full_action(acls: AclSet, tenant: str, agent: str, workflow: str, step: str) -> Action:
    """Everything the step allows, as one request."""
    grant = acls[tenant].agents[agent].workflows[workflow].allow[step].step
    assert grant is not None
    if grant.tool is not None:
        return ToolCall(grant.tool.name)
    q = grant.query
    assert q is not None
    return Query(q.table, q.operation, q.columns, q.where, rows=q.max_rows)


def allowed_requests(acls: AclSet) -> list[tuple[str, str, str, str]]:
    return [
        (tenant, agent.name, flow.name, step.id)
        for tenant, acl in acls.items()
        for agent in acl.agents.values()
        for flow in agent.workflows.values()
        for step in flow.steps
    ]


def test_cedar_allows_every_request_the_acl_allows(compiled: Compiled) -> None:
    requests = allowed_requests(compiled.acls)
    assert requests, "every spec set has some allowed steps"
    for tenant, agent, workflow, step in requests:
        action = full_action(compiled.acls, tenant, agent, workflow, step)
        acl = compiled.acls.tenant(tenant)
        for approved in (False, True):
            mine = authorize(acl, agent, workflow, step, action, approved=approved)
            results = compiled.cedar.results(
                tenant, agent, workflow, step, action, approved=approved
            )
            assert [r.diagnostics.errors for r in results] == [[] for _ in results]
            cedar = all(r.allowed for r in results)
            assert (mine.allowed, cedar) == (
                approved or not mine.needs_approval,
                approved or not mine.needs_approval,
            ), (tenant, agent, workflow, step, approved)
            assert mine.allowed or mine.needs_approval


def sample(
    compiled: Compiled, count: int, seed: int
) -> list[tuple[str, str, str, str, Action, bool]]:
    """Requests built from real names, most of them a little wrong: another tenant, agent,
    workflow or step, a column or where-column too many, one row over the cap, another
    operation or tool, no approval."""
    rng = random.Random(seed)
    spec = compiled.spec
    tenants = [t.name for t in spec.tenants] + ["nobody-inc"]
    agents = [a.name for a in spec.agents] + ["stranger"]
    steps = [(w, s) for w in spec.workflows for s in w.steps]
    tables = {t.name: [c.name for c in t.columns] for t in spec.tables}
    tools = [t.name for t in spec.tools]
    out = []
    for _ in range(count):
        workflow, step = rng.choice(steps)
        if step.query is not None:
            q = step.query
            columns, where = list(q.columns), list(q.where)
            table, operation, rows = q.table, q.operation, workflow.max_rows_per_step
            roll = rng.randrange(6)
            if roll == 0:
                columns.append(rng.choice(tables[table]))
            elif roll == 1:
                where.append(rng.choice(tables[table]))
            elif roll == 2:
                rows += 1
            elif roll == 3:
                operation = rng.choice(["select", "insert", "update", "delete"])
            elif roll == 4:
                table = rng.choice(sorted(tables))
                columns = rng.sample(tables[table], 1)
            action: Action = Query(table, operation, columns, where, rows=rows)
        else:
            action = ToolCall(rng.choice([*tools, step.tool or ""]))
        step_id = step.id if rng.random() < 0.8 else rng.choice(steps)[1].id
        out.append(
            (
                rng.choice(tenants),
                rng.choice(agents),
                workflow.name if rng.random() < 0.9 else rng.choice(steps)[0].name,
                step_id,
                action,
                rng.random() < 0.5,
            )
        )
    return out


def test_cedar_and_the_acl_agree_on_a_generated_sample(compiled: Compiled) -> None:
    outcomes = {True: 0, False: 0}
    for tenant, agent, workflow, step, action, approved in sample(compiled, 600, seed=5):
        mine = authorize(
            compiled.acls.tenant(tenant), agent, workflow, step, action, approved=approved
        )
        cedar = compiled.cedar.is_authorized(
            tenant, agent, workflow, step, action, approved=approved
        )
        assert mine.allowed == cedar, (tenant, agent, workflow, step, action, approved, mine.reason)
        outcomes[cedar] += 1
    assert outcomes[False] >= 300


def test_one_request_pinned_in_cedar_terms() -> None:
    """The mapping of a request to Cedar, written out, so that a change to it is seen."""
    action = Query("invoices", "update", ["reminder_sent_at"], ["id"], rows=10)
    got = cedar_requests("acme", "collections", "invoice-reminders", "mark-sent", action)
    context = {"workflow": "invoice-reminders", "step": "mark-sent", "approved": False}
    principal = {"type": "Paybill::Agent", "id": "acme/collections"}
    assert got == [
        {
            "principal": principal,
            "action": {"type": "Paybill::Action", "id": "update"},
            "resource": {"type": "Paybill::Table", "id": "invoices"},
            "context": {**context, "rows": 10},
        },
        {
            "principal": principal,
            "action": {"type": "Paybill::Action", "id": "update"},
            "resource": {"type": "Paybill::Column", "id": "invoices.reminder_sent_at"},
            "context": {**context, "rows": 10},
        },
        {
            "principal": principal,
            "action": {"type": "Paybill::Action", "id": "filter"},
            "resource": {"type": "Paybill::Column", "id": "invoices.id"},
            "context": {**context, "operation": "update", "rows": 10},
        },
    ]


def test_an_inactive_tenant_stays_denied_even_with_tampered_membership(tmp_path: Path) -> None:
    """The forbid policy holds on its own: giving a suspended tenant's agent a workflow in the
    entities does not let it act."""
    out = compile_acl(SPEC, tmp_path)
    cedar = out / "acl" / "cedar"
    path = cedar / "tenants" / "umbrella.entities.json"
    entities = json.loads(path.read_bytes())
    for entity in entities:
        if entity["uid"]["id"] == "umbrella/collections":
            entity["parents"].append({"type": "Paybill::Workflow", "id": "invoice-reminders"})
    path.write_text(json.dumps(entities))
    tampered = CedarAcl(cedar, ["umbrella"])
    call = ToolCall("email-send")
    results = tampered.results("umbrella", "collections", "invoice-reminders", "notify", call)
    assert [r.allowed for r in results] == [False]
    diagnostics = results[0].diagnostics
    names = diagnostics.id_annotations_by_reason
    assert [names[reason] for reason in diagnostics.reasons] == ["active-tenants-only"]
    untouched = CedarAcl(cedar, ["wayne"])
    assert untouched.is_authorized("wayne", "collections", "invoice-reminders", "notify", call)
