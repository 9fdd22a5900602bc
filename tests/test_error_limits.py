"""What a run prints of its problems is bounded: at most 200 of them, then how many more there
are in each file; a value quoted in a message is at most its first line, cut to 200
characters; a document that is not a mapping is never quoted (a spec file may be a hard link
to /etc/passwd, and CI logs are read by many)."""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.cli import main
from compiler.errors import (
    PRINTED_PROBLEMS,
    QUOTED_CHARACTERS,
    SUMMARISED_FILES,
    Diagnostic,
    Location,
    SpecError,
    quote,
)
from tests.fixtures.specs import build, errors, errors_of

SECRET = "root:x:0:0:root:/root:/bin/bash"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def passwd(lines: int) -> str:
    return "".join(f"{SECRET.replace('root', f'user{n}')}\n" for n in range(lines))


def test_a_document_that_is_not_a_mapping_quotes_none_of_it(workdir: Path) -> None:
    text = passwd(40)
    shown = errors(workdir, files={"passwd.yaml": text})
    assert shown.splitlines() == [
        f"spec/passwd.yaml:1:1: Document#1: a document must be a mapping, not text ({len(text) - 1:,} characters) (start with 'apiVersion: paybill.dev/v1' and 'kind: ...')",
        "1 error found",
    ]


def test_a_document_that_is_a_list_or_a_number_says_so(workdir: Path) -> None:
    shown = errors(workdir, files={"list.yaml": "- a\n- b\n", "number.yaml": "5\n"})
    assert "spec/list.yaml:1:1: Document#1: a document must be a mapping, not a list" in shown
    assert (
        "spec/number.yaml:1:1: Document#1: a document must be a mapping, not the number 5" in shown
    )


def test_a_quoted_value_is_its_first_line_cut_to_200_characters(workdir: Path) -> None:
    long = "s" * 5000
    block = "".join(f"    {SECRET} {n}\n" for n in range(30))
    tenant = (
        "apiVersion: paybill.dev/v1\nkind: Tenant\nmetadata: {name: kappa}\nspec:\n"
        f"  displayName: Kappa\n  plan: {long}\n  region: eu-central-1\n  pool: eu-pool\n"
        f"  state: |\n{block}  subscription: {{status: active}}\n"
    )
    shown = errors(workdir, files={"tenants/kappa.yaml": tenant.encode()})
    cut = "s" * QUOTED_CHARACTERS
    assert f"spec.plan: '{cut}…' (5,000 characters) is not valid here" in shown
    first = f"{SECRET} 0"
    assert (
        f"spec.state: must be 'pending', 'active', 'suspended', 'offboarding' or 'deleted', not the text '{first}…' ({len(block) - 4 * 30:,} characters, 31 lines)"
        in shown
    )
    assert f"{SECRET} 1" not in shown


def _flood(value: Any, filler: str) -> Any:
    """Every text of a document replaced with `filler`, but what names the document."""
    if isinstance(value, dict):
        return {
            key: (item if key in ("apiVersion", "kind", "name") else _flood(item, filler))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_flood(item, filler) for item in value]
    return filler if isinstance(value, str) else value


@pytest.mark.parametrize(
    "filler",
    [
        pytest.param("q" * 3000, id="one long line"),
        pytest.param("\n".join(f"q{n} {SECRET}" for n in range(50)), id="many lines"),
    ],
)
def test_no_text_of_a_spec_is_quoted_past_its_first_line_or_200_characters(
    workdir: Path, filler: str
) -> None:
    spec = build(workdir)
    for path in sorted(spec.rglob("*.yaml")):
        documents = [_flood(d, filler) for d in yaml.safe_load_all(path.read_text()) if d]
        path.write_text(yaml.safe_dump_all(documents, width=10**6))
    shown = errors_of(Path("spec"))
    assert len(shown.splitlines()) > 50  # nearly every field is wrong now
    longest = max(len(run) for run in re.findall(r"q+", shown))
    assert longest <= QUOTED_CHARACTERS
    assert "q1 " not in shown  # never a second line


def test_quote() -> None:
    assert quote("pro") == "'pro'"
    assert quote("x" * 200) == f"'{'x' * 200}'"
    assert quote("x" * 201) == f"'{'x' * 200}…' (201 characters)"
    assert quote("one\ntwo\n") == "'one…' (8 characters, 3 lines)"


def diagnostics(per_file: dict[str, int]) -> list[Diagnostic]:
    return [
        Diagnostic(Location(file, line, 1), "unknown field 'x'", "Tenant/t", "spec.x")
        for file, count in per_file.items()
        for line in range(1, count + 1)
    ]


def test_at_most_200_problems_are_printed_then_how_many_more_in_each_file() -> None:
    found = diagnostics({"spec/a.yaml": 150, "spec/b.yaml": 80, "spec/c.yaml": 40})
    lines = SpecError(found).render().splitlines()
    assert len(lines) == PRINTED_PROBLEMS + 5
    assert lines[PRINTED_PROBLEMS - 1].startswith("spec/b.yaml:50:1: ")
    assert lines[PRINTED_PROBLEMS:] == [
        "... and 70 more, by file:",
        "  spec/c.yaml: 40",
        "  spec/b.yaml: 30",
        "  (fix the problems above and run again to see the rest)",
        "270 errors found",
    ]


def test_the_files_with_most_problems_are_named_and_the_others_counted() -> None:
    many = {f"spec/tenants/t{n:05}.yaml": 3 for n in range(1000)}
    many["spec/tenants/worst.yaml"] = 9
    lines = SpecError(diagnostics(many)).render().splitlines()
    summary = lines[PRINTED_PROBLEMS:]
    assert summary[0] == "... and 2,809 more, by file:"
    assert summary[1] == "  spec/tenants/worst.yaml: 9"
    # 66 files and 2 problems of t00066 were printed; t00066's last one ranks last
    assert summary[2] == "  spec/tenants/t00067.yaml: 3"
    assert len(summary) == 1 + SUMMARISED_FILES + 3
    assert summary[-3] == "  915 more files: 2,743"  # 914 files of 3, and t00066's 1
    assert summary[-1] == "3,009 errors found"


def test_two_hundred_problems_are_printed_whole() -> None:
    lines = SpecError(diagnostics({"spec/a.yaml": PRINTED_PROBLEMS})).render().splitlines()
    assert len(lines) == PRINTED_PROBLEMS + 1
    assert lines[-1] == "200 errors found"


def test_a_broken_fleet_prints_a_bounded_report(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = build(workdir)
    for n in range(100):
        (spec / "tenants" / f"broken{n:02}.yaml").write_text(
            f"apiVersion: paybill.dev/v1\nkind: Tenant\nmetadata: {{name: broken{n:02}}}\n"
            "spec: {displayNam: x, pln: y, regin: z, stat: w, subscriptio: v}\n"
        )
    assert main(["validate", "spec"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1] == f"{100 * 5} errors found"
    assert lines[PRINTED_PROBLEMS] == f"... and {100 * 5 - PRINTED_PROBLEMS} more, by file:"
    assert len(lines) == PRINTED_PROBLEMS + 1 + SUMMARISED_FILES + 3
