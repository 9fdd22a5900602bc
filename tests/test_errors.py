"""Diagnostics print one line each, whatever the spec holds: what a terminal or a CI log
would interpret (control characters, bidirectional overrides, line separators) is escaped."""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.errors import Diagnostic, Location, escape
from tests.fixtures.specs import errors, expect


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, 'quoted' and ünïcode", "plain text, 'quoted' and ünïcode"),
        ("two\nlines", "two\\nlines"),
        ("cr\rtab\t", "cr\\rtab\\t"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("bell\x07 del\x7f c1\x85", "bell\\x07 del\\x7f c1\\x85"),
        ("\u202eevil\u202c", "\\u202eevil\\u202c"),
        (
            "\u2066isolate\u2069 \u200bzero\u200dwidth\ufeff",
            "\\u2066isolate\\u2069 \\u200bzero\\u200dwidth\\ufeff",
        ),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("no\u00a0break", "no\\xa0break"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("surrogate\udcff", "surrogate\\udcff"),
    ],
)
def test_escape(raw: str, shown: str) -> None:
    assert escape(raw) == shown


def test_every_part_of_a_diagnostic_is_escaped() -> None:
    diagnostic = Diagnostic(
        Location("spec/x\n.yaml", 3, 4),
        "unknown plan 'p\u202ero'",
        doc="Tenant/a\rb",
        path="spec.\x1bplan",
        hint="did you mean\n'pro'?",
    )
    assert diagnostic.render() == (
        "spec/x\\n.yaml:3:4: Tenant/a\\rb spec.\\x1bplan: unknown plan 'p\\u202ero' (did you mean\\n'pro'?)"
    )


def test_names_and_values_from_the_spec_are_escaped(workdir: Path) -> None:
    """A hostile spec cannot forge a line (`::error::`) or reverse text in a CI log."""
    tenant = """\
        apiVersion: paybill.dev/v1
        kind: Tenant
        metadata: {name: kappa}
        spec:
          displayName: Kappa
          plan: "basic\\n::error file=spec/platform.yaml::forged"
          region: us-east-1
          pool: us-pool
          state: active
          subscription: {status: active}
          "\\u202econtacts": []
        """
    assert errors(workdir, files={"tenants/kappa.yaml": tenant}) == expect(
        # a quoted value stops at its first line (tests/test_error_limits.py)
        "spec/tenants/kappa.yaml:6:9: Tenant/kappa spec.plan: 'basic…' (45 characters, 2 lines) is not valid here: must be 2-40 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'",
        "spec/tenants/kappa.yaml:11:3: Tenant/kappa spec.\\u202econtacts: unknown field '\\u202econtacts' (did you mean 'contacts'?)",
    )
