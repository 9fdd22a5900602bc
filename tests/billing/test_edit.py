"""The round-trip edit: every tenant file of spec/ and of the examples (one tenant a file, and
several in one file) keeps every byte but the lines of the fields that change."""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from compiler.billing.edit import EditError, edit_tenant, layout_of, read_view
from tests.support.tools import REPO

FILES = sorted(REPO.glob("spec/tenants/*.yaml")) + sorted(REPO.glob("examples/*/tenants.yaml"))
TENANTS = [
    (path, doc["metadata"]["name"])
    for path in FILES
    for doc in yaml.safe_load_all(path.read_text())
    if isinstance(doc, dict) and doc.get("kind") == "Tenant"
]


@pytest.mark.parametrize(
    ("path", "name"), TENANTS, ids=[f"{p.parent.name}/{n}" for p, n in TENANTS]
)
def test_only_the_changed_fields_lines_differ(path: Path, name: str) -> None:
    text = path.read_text()
    view = read_view(text, path.name, name)
    assert edit_tenant(text, path.name, view) == text  # nothing to change: the same bytes
    state = "suspended" if view.state != "suspended" else "active"
    edited = edit_tenant(text, path.name, replace(view, state=state))
    assert changed_lines(text, edited) == [f"-  state: {view.state}", f"+  state: {state}"]
    assert read_view(edited, path.name, name) == replace(view, state=state)


def changed_lines(old: str, new: str) -> list[str]:
    """The lines removed (-) and added (+), by a line diff that treats no line as junk:
    difflib's default skips lines repeated in more than 1% of a file of 200 lines or more
    (`subscription: {status: active}` in a file of many tenants), and would then report an
    unchanged line beside the changed one."""
    a, b = old.splitlines(), new.splitlines()
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            out += [f"-{line}" for line in a[i1:i2]] + [f"+{line}" for line in b[j1:j2]]
    return out


def test_subscription_fields_are_written_one_a_line_with_times_quoted() -> None:
    text = (REPO / "spec" / "tenants" / "acme.yaml").read_text()
    view = read_view(text, "acme.yaml", "acme")
    billed = replace(
        view,
        status="past_due",
        provider="stripe",
        id="sub_1",
        as_of="2026-01-05T10:00:00Z",
        event="evt_1",
        since="2026-01-04T00:00:00Z",
        scheduled=("pro", "2026-02-01T00:00:00Z"),
    )
    edited = edit_tenant(text, "acme.yaml", billed)
    assert (
        "  subscription:\n"
        "    status: past_due\n"
        "    provider: stripe\n"
        "    id: sub_1\n"
        '    asOf: "2026-01-05T10:00:00Z"\n'
        "    event: evt_1\n"
        '    since: "2026-01-04T00:00:00Z"\n'
        '    scheduled: {plan: pro, at: "2026-02-01T00:00:00Z"}\n'
    ) in edited
    assert "# Deployed before the platform allocated silo networks" in edited  # comments kept
    assert read_view(edited, "acme.yaml", "acme") == billed


def test_layouts_and_refusals() -> None:
    assert layout_of("a:\n  b:\n    - c\n") == (2, 4, 2)
    assert layout_of("a:\n    b:\n    - c\n") == (4, 2, 0)
    with pytest.raises(EditError, match="holds no Tenant named 'nobody'"):
        read_view("kind: Tenant\nmetadata: {name: acme}\nspec: {}\n", "x.yaml", "nobody")
    with pytest.raises(EditError, match=r"x\.yaml is not YAML that can be edited"):
        read_view("a: [b\n", "x.yaml", "acme")
