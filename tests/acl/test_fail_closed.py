"""`compiler.acl` fails closed on any input.

Reading raises `AclError` and nothing else, whatever a file or a value holds (a file nested
100,000 levels deep included); `authorize` never raises, and allows only a request of the
documented types that matches a grant of the file exactly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.acl import (
    Acl,
    AclError,
    AclSet,
    Query,
    ToolCall,
    authorize,
    load,
    load_tenant,
    parse,
)
from tests.support.mutate import mutate

V1 = Path(__file__).parent / "fixtures" / "v1" / "acme.json"
DEPTH = 100_000
PROFILE = settings(
    max_examples=int(os.environ.get("PAYBILL_PROPERTY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def fixture_data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(V1.read_bytes())
    return loaded


ACL = load(V1)
# (agent, workflow, step) -> the step's grant, for checking every allowed decision
GRANTS = {
    (agent.name, flow.name, step.id): step
    for agent in ACL.agents.values()
    for flow in agent.workflows.values()
    for step in flow.steps
}


def deeply_nested(depth: int) -> list[Any]:
    """`[[[...]]]`, built without recursion."""
    inner: list[Any] = []
    for _ in range(depth):
        inner = [inner]
    return inner


# -- a file nested 100,000 levels deep ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[" * DEPTH + "]" * DEPTH,
        '{"schemaVersion": "paybill.dev/acl/v1", "tenant": ' + "[" * DEPTH + "]" * DEPTH + "}",
    ],
    ids=["list", "inside-an-acl"],
)
def test_a_deeply_nested_file_is_an_acl_error_from_every_entry(tmp_path: Path, text: str) -> None:
    path = tmp_path / "acme.json"
    path.write_text(text)
    message = f"{path}: nested too deeply to be an ACL"
    for read in (
        lambda: load(path),
        lambda: load(path, validate=False),
        lambda: load_tenant(tmp_path, "acme"),
        lambda: AclSet(tmp_path).tenant("acme"),
        lambda: AclSet(tmp_path)["acme"],
        lambda: AclSet(tmp_path).load_all(),
    ):
        with pytest.raises(AclError) as caught:
            read()
        assert str(caught.value) == message


def test_deeply_nested_data_is_an_acl_error_and_never_allows() -> None:
    deep = deeply_nested(DEPTH)
    with pytest.raises(AclError) as checked:
        parse({**fixture_data(), "tenant": deep}, "acme.json")
    assert str(checked.value) == "acme.json: nested too deeply to be an ACL"
    with pytest.raises(AclError) as unchecked:
        parse({**fixture_data(), "tenant": deep}, "acme.json", validate=False)
    assert str(unchecked.value) == (
        "acme.json: not a valid paybill.dev/acl/v1 ACL (TypeError: expected text, found list)"
    )
    decision = authorize(deep, "helper", "report", "read")  # type: ignore[arg-type]
    assert (decision.allowed, decision.reason) == (
        False,
        "request denied: the ACL is a list, not an Acl (read one with compiler.acl.load, "
        "load_tenant or AclSet)",
    )


# -- reading: AclError or an Acl, nothing else --------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@st.composite
def damaged(draw: st.DrawFn) -> Any:
    """The fixture with one to three values replaced by arbitrary JSON or removed."""
    return mutate(draw, fixture_data(), json_values, st.booleans())


@PROFILE
@given(data=st.one_of(json_values, damaged()), validate=st.booleans())
def test_parse_returns_an_acl_or_raises_acl_error(data: Any, validate: bool) -> None:
    try:
        acl = parse(data, "x.json", validate=validate)
    except AclError:
        return
    # what was accepted is usable: every decision on it is a Decision
    for agent, workflow, step in GRANTS:
        assert isinstance(authorize(acl, agent, workflow, step).allowed, bool)


def test_data_of_the_wrong_types_is_refused_even_unchecked() -> None:
    cases = {
        "approval": (
            lambda d: d["agents"]["helper"]["workflows"]["report"]["steps"][1].update(
                approval="Human"
            ),
            "ValueError: approval must be 'none' or 'human'",
        ),
        "state": (
            lambda d: d.update(state="suspended"),
            "ValueError: a tenant in state 'suspended' has no agents",
        ),
        "rows": (
            lambda d: d["agents"]["helper"]["workflows"]["report"]["steps"][0]["query"].update(
                maxRows=1e9
            ),
            "TypeError: expected a whole number of at least 1, found float",
        ),
        "columns": (
            lambda d: d["agents"]["helper"]["workflows"]["report"]["steps"][0]["query"].update(
                columns="id"
            ),
            "TypeError: expected a list of text, found str",
        ),
        "agents": (
            lambda d: d.update(agents=[]),
            "AttributeError: 'list' object has no attribute 'items'",
        ),
    }
    for name, (damage, problem) in cases.items():
        data = fixture_data()
        damage(data)
        with pytest.raises(AclError) as caught:
            parse(data, "acme.json", validate=False)
        assert str(caught.value) == f"acme.json: not a valid paybill.dev/acl/v1 ACL ({problem})", (
            name
        )


@pytest.mark.parametrize("path", [None, 7, b"\x00", "no/such/file.json"])
def test_a_path_that_is_no_file_is_an_acl_error(path: Any) -> None:
    with pytest.raises(AclError):
        load(path)
    with pytest.raises(AclError):
        AclSet(path)


@pytest.mark.parametrize("name", [None, 7, ["acme"], b"acme"])
def test_a_tenant_name_that_is_not_text_allows_nothing(name: Any) -> None:
    for acl in (load_tenant(V1.parent, name), AclSet(V1.parent).tenant(name)):
        decision = authorize(acl, "helper", "report", "read")
        assert (decision.allowed, decision.reason) == (
            False,
            f"'<{type(name).__name__}>' is not a tenant name, so it allows nothing",
        )
    with pytest.raises(KeyError):
        AclSet(V1.parent)[name]


# -- deciding: a Decision, and allow only for an exact match ---------------------------------

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.binary(max_size=4),
    st.lists(st.text(max_size=6), max_size=3),
    st.frozensets(st.text(max_size=6), max_size=3),
)
names = st.sampled_from(sorted({n for triple in GRANTS for n in triple} | {"accounts", "mailer"}))
name_or_anything = st.one_of(names, anything)
columns = st.one_of(
    st.lists(st.sampled_from(["id", "email", "status", "secret"]), max_size=3),
    st.lists(st.sampled_from(["id", "email", "status"]), max_size=3).map(iter),
    st.sampled_from(["id", "email", "idemail"]),
    anything,
)
actions = st.one_of(
    st.none(),
    st.builds(ToolCall, name_or_anything),
    st.builds(
        Query,
        st.one_of(st.just("accounts"), anything),
        st.one_of(st.sampled_from(["select", "update", "delete"]), anything),
        columns,
        columns,
        st.one_of(st.none(), st.integers(-5, 200), st.floats(), st.booleans(), anything),
    ),
    anything,
)


@PROFILE
@given(
    agent=name_or_anything,
    workflow=name_or_anything,
    step=name_or_anything,
    action=actions,
    approved=st.one_of(st.booleans(), anything),
)
def test_authorize_allows_only_an_exact_match(
    agent: Any, workflow: Any, step: Any, action: Any, approved: Any
) -> None:
    decision = authorize(ACL, agent, workflow, step, action, approved=approved)
    assert isinstance(decision.reason, str)
    assert decision.reason
    if not decision.allowed:
        return
    assert (type(agent), type(workflow), type(step)) == (str, str, str)
    granted = GRANTS[(agent, workflow, step)]
    assert approved is True or (approved is False and granted.approval == "none")
    if isinstance(action, ToolCall):
        assert granted.tool is not None
        assert action.tool == granted.tool.name
    elif action is not None:
        assert type(action) is Query
        query = granted.query
        assert query is not None
        assert (action.table, action.operation) == (query.table, query.operation)
        assert isinstance(action.columns, list | tuple | frozenset)
        assert isinstance(action.where, list | tuple | frozenset)
        assert set(action.columns) <= query.column_set
        assert set(action.where) <= query.where_set
        assert action.rows is None or (
            type(action.rows) is int and 0 <= action.rows <= query.max_rows
        )


@PROFILE
@given(acl=anything)
def test_authorize_denies_for_anything_that_is_not_an_acl(acl: Any) -> None:
    decision = authorize(acl, "helper", "report", "read")
    assert not decision.allowed


@pytest.mark.parametrize(
    ("action", "approved", "reason"),
    [
        (
            Query("accounts", "select", "id", []),
            False,
            "Query.columns must be a collection of names, not str",
        ),
        (
            Query("accounts", "select", iter(["id"]), []),
            False,
            "Query.columns must be a collection of names, not list_iterator",
        ),
        (
            Query("accounts", "select", ["id"], [], rows=float("nan")),
            False,
            "Query.rows must be None or a whole number of 0 or more",
        ),
        (
            Query("accounts", "select", ["id"], [], rows=-1),
            False,
            "Query.rows must be None or a whole number of 0 or more",
        ),
        (
            Query("accounts", "select", ["id"], [], rows=True),
            False,
            "Query.rows must be None or a whole number of 0 or more",
        ),
        (Query("accounts", "select", [1], []), False, "Query.columns must hold names as text"),
        (None, "no", "approved must be True or False, not str"),
        ("select", False, "the action is a str, not a Query or a ToolCall"),
    ],
)
def test_requests_of_the_wrong_types_are_denied_with_why(
    action: Any, approved: Any, reason: str
) -> None:
    decision = authorize(ACL, "helper", "report", "read", action, approved=approved)
    assert (decision.allowed, decision.reason) == (False, f"request denied: {reason}")


def test_a_damaged_acl_built_by_hand_denies() -> None:
    broken = Acl("acme", "basic", "active", {"helper": "not a grant"}, ())  # type: ignore[dict-item]
    decision = authorize(broken, "helper", "report", "read")
    assert (decision.allowed, decision.reason) == (
        False,
        "request denied: it could not be checked (AttributeError)",
    )


def test_a_named_pipe_in_the_folder_is_an_acl_error_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "acme.json")
    for read in (lambda: load(tmp_path / "acme.json"), lambda: AclSet(tmp_path).load_all()):
        with pytest.raises(AclError) as caught:
            read()
        assert str(caught.value) == f"{tmp_path / 'acme.json'}: not a regular file, so not an ACL"
    assert not authorize(load_tenant(tmp_path, "acme"), "helper", "report", "read").allowed
