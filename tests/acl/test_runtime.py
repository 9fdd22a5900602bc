"""`compiler.acl`: loading ACL files and every kind of decision, with whole messages.

`fixtures/v1/acme.json` is an ACL as compiler version 1 of the format writes it (tenant acme
on plan basic: agent helper may run workflow report, whose step `mail` waits for a person;
workflow purge and agent auditor are denied). When the format gets a new version, this file
stays: the runtime must go on reading it, or refuse it with a clear message.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from compiler.acl import (
    SCHEMA_VERSION,
    Acl,
    AclError,
    AclSet,
    Query,
    ToolCall,
    acl_schema,
    authorize,
    load,
    load_tenant,
    parse,
)
from compiler.acl.schema import acl_validator, is_valid

FIXTURES = Path(__file__).parent / "fixtures"
V1 = FIXTURES / "v1" / "acme.json"
SCHEMA_FILE = Path(__file__).parents[2] / "compiler" / "schemas" / "acl-v1.schema.json"


@pytest.fixture
def acl() -> Acl:
    return load(V1)


def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(V1.read_bytes())
    return loaded


def test_the_schema_id_and_every_files_version_name_the_same_version() -> None:
    schema = acl_schema()
    assert schema == json.loads(SCHEMA_FILE.read_bytes())
    assert schema["$id"] == "https://paybill.dev/schemas/acl/v1/acl.schema.json"
    assert schema["properties"]["schemaVersion"] == {"const": SCHEMA_VERSION}
    assert SCHEMA_VERSION == "paybill.dev/acl/v1"
    Draft202012Validator.check_schema(schema)


def test_the_v1_fixture_still_validates_and_loads() -> None:
    assert list(Draft202012Validator(acl_schema()).iter_errors(data())) == []
    acl = load(V1)
    assert (acl.tenant, acl.plan, acl.state) == ("acme", "basic", "active")
    assert sorted(acl.agents) == ["helper"]
    assert [s.id for s in acl.agents["helper"].workflows["report"].steps] == [
        "read",
        "mail",
        "mark",
    ]


def test_an_allowed_step_says_what_it_allows(acl: Acl) -> None:
    decision = authorize(acl, "helper", "report", "read")
    assert decision.allowed
    assert not decision.needs_approval
    assert decision.reason == (
        "agent 'helper' may run step 'read' of workflow 'report' in tenant 'acme': select id, "
        "email from app.accounts where status, at most 100 rows"
    )
    assert decision.step is not None
    assert decision.step.query is not None
    assert decision.step.query.pii == ("email",)


@pytest.mark.parametrize(
    ("agent", "workflow", "step", "reason"),
    [
        (
            "auditor",
            "purge",
            "find",
            "agent 'auditor' may not act in tenant 'acme': plan 'basic' does not grant feature "
            "'cleanup'",
        ),
        (
            "stranger",
            "report",
            "read",
            "agent 'stranger' has no access in tenant 'acme' (not in its ACL; everything not "
            "listed is denied)",
        ),
        (
            "helper",
            "purge",
            "find",
            "agent 'helper' may not run workflow 'purge' in tenant 'acme': plan 'basic' does not "
            "grant feature 'cleanup'",
        ),
        (
            "helper",
            "payroll",
            "read",
            "workflow 'payroll' is not one of agent 'helper''s workflows in tenant 'acme' "
            "(allowed: report)",
        ),
        (
            "helper",
            "report",
            "find",
            "workflow 'report' has no step 'find' (agent 'helper' in tenant 'acme' may run: "
            "read, mail, mark)",
        ),
    ],
)
def test_denials_name_the_reason(
    acl: Acl, agent: str, workflow: str, step: str, reason: str
) -> None:
    decision = authorize(acl, agent, workflow, step, approved=True)
    assert (decision.allowed, decision.reason, decision.step) == (False, reason, None)


def test_a_step_with_human_approval_waits_for_it(acl: Acl) -> None:
    waiting = authorize(acl, "helper", "report", "mail", ToolCall("mailer"))
    assert (waiting.allowed, waiting.needs_approval) == (False, True)
    assert waiting.reason == (
        "agent 'helper' in tenant 'acme', workflow 'report', step 'mail': the step needs human "
        "approval first"
    )
    approved = authorize(acl, "helper", "report", "mail", ToolCall("mailer"), approved=True)
    assert approved.allowed
    assert approved.reason == (
        "agent 'helper' may run step 'mail' of workflow 'report' in tenant 'acme': call tool "
        "mailer (external); needs human approval"
    )


@pytest.mark.parametrize(
    "query",
    [
        Query("accounts", "select", ["id", "email"], ["status"], rows=100),
        Query("accounts", "select", ["email"]),
        Query("accounts", "select"),
        Query("accounts", "select", ("id",), ("status",), rows=1),
    ],
)
def test_a_query_inside_the_grant_is_allowed(acl: Acl, query: Query) -> None:
    assert authorize(acl, "helper", "report", "read", query).allowed


@pytest.mark.parametrize(
    ("step", "action", "problem"),
    [
        (
            "read",
            Query("invoices", "select", ["id"]),
            "the step queries table 'accounts', not 'invoices'",
        ),
        ("read", Query("accounts", "update", ["id"]), "the step may select, not update"),
        (
            "read",
            Query("accounts", "select", ["id", "tenant_id", "seen_at"]),
            "column(s) seen_at, tenant_id not allowed for select (allowed: id, email)",
        ),
        (
            "read",
            Query("accounts", "select", ["id"], ["email"]),
            "where-column(s) email not allowed (allowed: status)",
        ),
        (
            "read",
            Query("accounts", "select", ["id"], rows=101),
            "101 rows is over the step's cap of 100",
        ),
        ("read", ToolCall("mailer"), "the step runs a query, not a tool call"),
        ("mail", Query("accounts", "select", ["id"]), "the step calls a tool, not a query"),
        ("mail", ToolCall("wiper"), "the step may call tool 'mailer', not 'wiper'"),
        (
            "mark",
            Query("accounts", "update", ["status"], ["id", "email"]),
            "where-column(s) email not allowed (allowed: id)",
        ),
    ],
)
def test_an_action_outside_the_grant_is_denied(
    acl: Acl, step: str, action: Query | ToolCall, problem: str
) -> None:
    decision = authorize(acl, "helper", "report", step, action, approved=True)
    assert not decision.allowed
    assert decision.reason == (
        f"agent 'helper' in tenant 'acme', workflow 'report', step '{step}': {problem}"
    )
    assert decision.step is not None
    assert decision.step.id == step


def write(folder: Path, name: str, content: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_a_file_that_is_not_json_cannot_be_loaded(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.json", "{not json")
    with pytest.raises(AclError) as caught:
        load(path)
    assert str(caught.value) == (
        f"{path}: cannot be read as JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))"
    )


def test_a_file_of_another_version_is_refused(tmp_path: Path) -> None:
    newer = {**data(), "schemaVersion": "paybill.dev/acl/v2"}
    with pytest.raises(AclError) as caught:
        load(write(tmp_path, "acme.json", newer))
    assert str(caught.value) == (
        f"{tmp_path / 'acme.json'}: schemaVersion is 'paybill.dev/acl/v2', but this runtime "
        "reads 'paybill.dev/acl/v1' (compile the spec and the runtime with the same paybill)"
    )


def test_a_file_that_breaks_the_schema_is_refused_with_where(tmp_path: Path) -> None:
    broken = data()
    broken["agents"]["helper"]["workflows"]["report"]["steps"][0]["query"]["maxRows"] = 0
    with pytest.raises(AclError) as caught:
        parse(broken, "acme.json")
    assert str(caught.value) == (
        "acme.json: not a valid paybill.dev/acl/v1 ACL at "
        "agents/helper/workflows/report/steps/0/query/maxRows: 0 is less than the minimum of 1"
    )


def test_an_inactive_tenant_listing_agents_breaks_the_schema() -> None:
    broken = {**data(), "state": "suspended"}
    with pytest.raises(AclError) as caught:
        parse(broken, "acme.json")
    assert str(caught.value) == (
        "acme.json: not a valid paybill.dev/acl/v1 ACL at agents: the value is expected to be empty"
    )


def test_a_file_under_another_tenants_name_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "globex.json", data())
    with pytest.raises(AclError) as caught:
        load_tenant(tmp_path, "globex")
    assert str(caught.value) == (
        f"{tmp_path / 'globex.json'}: holds the ACL of tenant 'acme', not 'globex'"
    )


def test_a_missing_tenant_is_denied_with_a_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "acme.json", data())
    for acl in (load_tenant(tmp_path, "acmee"), AclSet(tmp_path).tenant("acmee")):
        decision = authorize(acl, "helper", "report", "read")
        assert not decision.allowed
        assert decision.reason == (
            f"tenant 'acmee' has no ACL in {tmp_path.as_posix()}: deleted and unknown tenants "
            "allow nothing (did you mean 'acme'?)"
        )


@pytest.mark.parametrize("name", ["../acme", "acme/../acme", "Acme", "acme\n", ""])
def test_a_name_that_is_no_tenant_name_reads_no_file(tmp_path: Path, name: str) -> None:
    write(tmp_path / "acl", "acme.json", data())
    write(tmp_path, "acme.json", data())
    decision = authorize(load_tenant(tmp_path / "acl", name), "helper", "report", "read")
    assert (decision.allowed, decision.reason) == (
        False,
        f"'{name}' is not a tenant name, so it allows nothing",
    )


def test_a_set_reads_each_file_when_first_asked_and_load_all_reads_every_one(
    tmp_path: Path,
) -> None:
    write(tmp_path, "acme.json", data())
    write(tmp_path, "broken.json", "{")
    acls = AclSet(tmp_path)
    assert (list(acls), len(acls)) == (["acme", "broken"], 2)
    assert authorize(acls.tenant("acme"), "helper", "report", "read").allowed
    assert acls.tenant("acme") is acls["acme"]
    with pytest.raises(AclError):
        acls.load_all()
    with pytest.raises(KeyError):
        acls["globex"]


def test_a_set_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(AclError) as caught:
        AclSet(tmp_path / "nowhere")
    assert str(caught.value) == f"{tmp_path / 'nowhere'}: no such folder of ACL files"


def broken_variants() -> list[dict[str, Any]]:
    """Ways to damage the fixture, each of which the schema must reject."""
    out = []
    damages: list[Callable[[dict[str, Any]], object]] = [
        lambda d: d.pop("denied"),
        lambda d: d.update(default="allow"),
        lambda d: d["agents"]["helper"].update(extra=True),
        lambda d: d["agents"]["helper"]["workflows"]["report"]["steps"][1].update(
            query={"table": "accounts"}
        ),
        lambda d: d["agents"]["helper"]["workflows"]["report"]["trigger"].update(event="x.y"),
        lambda d: d["agents"]["helper"]["limits"].update(runsPerDay=0),
        lambda d: d["denied"].append({"agent": "x"}),
        lambda d: d.update(state="deleted"),
        lambda d: d["agents"].update(
            twin={
                **copy.deepcopy(d["agents"]["helper"]),
                "workflows": {"report": {"trigger": {}, "limits": {}, "steps": []}},
            }
        ),
        lambda d: d["agents"]["helper"]["workflows"]["report"]["steps"][0].update(after=["a", "a"]),
    ]
    for damage in damages:
        variant = copy.deepcopy(data())
        damage(variant)
        out.append(variant)
    return out


def test_the_fast_checks_agree_with_the_committed_schema() -> None:
    """The runtime checks with `$ref`s written out in place, and each distinct workflow body
    once; both must judge exactly as the schema file does."""
    plain = Draft202012Validator(json.loads(SCHEMA_FILE.read_bytes()))
    inlined = acl_validator()
    assert (plain.is_valid(data()), inlined.is_valid(data()), is_valid(data())) == (True,) * 3
    for variant in broken_variants():
        judged = (plain.is_valid(variant), inlined.is_valid(variant), is_valid(variant))
        assert judged == (False,) * 3
