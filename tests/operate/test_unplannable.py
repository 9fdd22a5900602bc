"""A stack whose provider is not installed is not planned: plan says "schema-checked only",
in its output, the summary and plan.json, and exits 3, whatever else the plan found. A
stack whose provider is installed (or the AWS stack beside it) is planned as before.

The outputs are written by hand (tests/support/handmade_output.py): the compiler does not
build Azure stacks here. Terraform is the stand-in of tests/support/stand_in_terraform.py,
so which stacks terraform ran for is read from the working copies it left. The registry
is made unreachable and the plugin mirror is a folder of the test's own, so the outcome
does not depend on the machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from compiler.cli import main
from compiler.commands.sandbox import VARIABLES
from compiler.operate.unplannable import section
from compiler.terraform import installed
from compiler.terraform.installed import missing_note, not_installed, source_of
from compiler.terraform.providers import Provider
from tests.support.handmade_output import fake_mirror, stack_document, write_output
from tests.support.stand_in_terraform import seed_state, write_stand_in
from tests.support.tools import REPO

PLAN_SCHEMA = REPO / "compiler/schemas/plan-v1.schema.json"
AZURERM = "registry.terraform.io/hashicorp/azurerm 5.10.0"
NOTE = "schema-checked only: provider azurerm not installed"
AWS_STACK = stack_document("aws", {"aws_s3_bucket": {"logs": {"bucket": "logs"}}})
AZURE_STACK = stack_document("azure", {"azurerm_resource_group": {"main": {"name": "rg"}}})


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No registry, an empty plugin cache, a mirror holding only the AWS provider, and the
    stand-in terraform. Returns the mirror (a test may add providers to it)."""
    monkeypatch.setattr(installed, "registry_unreachable", lambda: "offline (test)")
    mirror = fake_mirror(tmp_path / "mirror", "aws")
    for name, value in {
        **VARIABLES,
        "PAYBILL_TF_PLUGIN_MIRROR": str(mirror),
        "TF_PLUGIN_CACHE_DIR": str(tmp_path / "cache"),
        "PAYBILL_TERRAFORM": str(write_stand_in(tmp_path / "bin")),
        "PAYBILL_WORKDIR": str(tmp_path / "work"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no spec/ here: the hand-written output is not checked
    return mirror


def plan(tmp_path: Path, generated: Path, *base: str) -> tuple[int, dict[str, Any], str]:
    code = main(["plan", "--generated", str(generated), "--out", str(tmp_path / "plan"), *base])
    data = json.loads((tmp_path / "plan/plan.json").read_text())
    schema = Draft202012Validator(json.loads(PLAN_SCHEMA.read_text()))
    errors = [e.message for e in schema.iter_errors(data)]
    assert errors == []
    return code, data, (tmp_path / "plan/summary.md").read_text()


def planned_by_terraform(tmp_path: Path) -> list[str]:
    folder = tmp_path / "work" / "stacks"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_stack_without_its_provider_is_schema_checked_only_and_exits_3(
    machine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = write_output(
        tmp_path / "generated", {"pool-aws": AWS_STACK, "tenant-azure": AZURE_STACK}
    )
    code, data, summary = plan(tmp_path, generated)
    out = capsys.readouterr().out
    assert code == 3
    assert f"  tenant-azure: {NOTE} (not planned)\n" in out
    assert data["exitCode"] == 3
    stacks = data["stacks"]
    assert stacks["tenant-azure"]["planned"] is False
    assert stacks["tenant-azure"]["schemaCheckedOnly"] == {"note": NOTE, "providers": [AZURERM]}
    assert stacks["tenant-azure"]["planFile"] is None
    # The AWS stack beside it is planned as ever.
    assert stacks["pool-aws"]["planned"] is True
    assert stacks["pool-aws"]["schemaCheckedOnly"] is None
    assert stacks["pool-aws"]["addresses"] == {"create": ["aws_s3_bucket.logs"]}
    assert planned_by_terraform(tmp_path) == ["pool-aws"]
    assert "## Paybill plan: 1 stack NOT PLANNED (schema-checked only) — " in summary
    assert "### Stacks not planned\n\nTerraform did not run for these stacks" in summary
    assert f"- `tenant-azure`: {NOTE} (not planned)\n" in summary
    assert f"| `tenant-azure` | added | not planned ({NOTE}) | | | |" in summary


def test_an_aws_change_beside_an_unchanged_azure_stack_plans_as_before(
    machine: Path, tmp_path: Path
) -> None:
    base = write_output(tmp_path / "base", {"pool-aws": AWS_STACK, "tenant-azure": AZURE_STACK})
    wider = stack_document(
        "aws", {"aws_s3_bucket": {"logs": {"bucket": "logs"}, "more": {"bucket": "more"}}}
    )
    generated = write_output(
        tmp_path / "generated", {"pool-aws": wider, "tenant-azure": AZURE_STACK}
    )
    code, data, summary = plan(tmp_path, generated, "--base", str(base))
    assert code == 2
    assert list(data["stacks"]) == ["pool-aws"]
    assert "schema-checked only" not in summary
    assert "NOT PLANNED" not in summary


def test_where_the_provider_is_installed_the_stack_is_planned(
    machine: Path, tmp_path: Path
) -> None:
    fake_mirror(machine, "azure")
    generated = write_output(
        tmp_path / "generated", {"pool-aws": AWS_STACK, "tenant-azure": AZURE_STACK}
    )
    code, data, summary = plan(tmp_path, generated)
    assert code == 2
    stacks = data["stacks"]
    assert stacks["tenant-azure"]["planned"] is True
    assert stacks["tenant-azure"]["schemaCheckedOnly"] is None
    assert planned_by_terraform(tmp_path) == ["pool-aws", "tenant-azure"]
    assert "Stacks not planned" not in summary


def test_a_refusal_still_wins_over_a_stack_not_planned(machine: Path, tmp_path: Path) -> None:
    """Exit 1 before 3: the refusal is what the author acts on first; the summary and
    plan.json still say which stack was not planned."""
    database = {"aws_db_instance": {"main": {"identifier": "main"}}}
    base = write_output(tmp_path / "base", {"pool-aws": stack_document("aws", database)})
    seed_state(tmp_path / "work", base)  # the database exists
    generated = write_output(
        tmp_path / "generated", {"pool-aws": AWS_STACK, "tenant-azure": AZURE_STACK}
    )
    code, data, summary = plan(tmp_path, generated, "--base", str(base))
    assert code == 1
    assert data["exitCode"] == 1
    assert [d["what"] for d in data["destructive"]] == [
        "delete aws_db_instance.main in stack pool-aws"
    ]
    assert data["stacks"]["tenant-azure"]["schemaCheckedOnly"]["note"] == NOTE
    assert f"- `tenant-azure`: {NOTE} (not planned)\n" in summary


def test_the_registry_counts_as_a_source_when_it_answers(tmp_path: Path) -> None:
    azurerm = Provider.parse("hashicorp/azurerm", "5.10.0")
    empty = tmp_path / "cache"
    assert source_of(azurerm, empty, lambda: None) == installed.Source(
        "registry", "registry.terraform.io"
    )
    assert source_of(azurerm, empty, lambda: "no network") is None
    cached = fake_mirror(empty, "azure")
    assert source_of(azurerm, cached, lambda: "no network") == installed.Source(
        "plugin cache", str(cached)
    )


def test_the_note_names_every_missing_provider(tmp_path: Path) -> None:
    google = Provider.parse("hashicorp/google", "8.7.0")
    oci = Provider.parse("oracle/oci", "7.19.0")
    missing = not_installed([oci, google, oci], tmp_path, lambda: "offline")
    assert missing == [google, oci]
    assert missing_note(missing) == "schema-checked only: providers google, oci not installed"
    assert section({}).lines == []


def test_a_removed_stack_is_judged_by_its_base_configuration(machine: Path, tmp_path: Path) -> None:
    """Tearing down an Azure stack needs the azurerm provider just the same: its pins are
    read from the base, where the stack still is."""
    base = write_output(tmp_path / "base", {"pool-aws": AWS_STACK, "tenant-azure": AZURE_STACK})
    generated = write_output(tmp_path / "generated", {"pool-aws": AWS_STACK})
    code, data, _ = plan(tmp_path, generated, "--base", str(base))
    assert code == 3
    assert data["stacks"]["tenant-azure"]["change"] == "removed"
    assert data["stacks"]["tenant-azure"]["schemaCheckedOnly"]["providers"] == [AZURERM]
    assert planned_by_terraform(tmp_path) == []


def test_drift_lists_a_stack_without_its_provider_as_not_checked(
    machine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No "no drift" for a stack nobody could check: exit 3 when nothing else drifted,
    the stack under "Not checked" in drift.md and drift.json."""
    generated = write_output(
        tmp_path / "generated", {"pool-aws": AWS_STACK, "tenant-azure": AZURE_STACK}
    )
    seed_state(tmp_path / "work", generated)  # the AWS stack is as applied
    code = main(["drift", "--generated", str(generated), "--out", str(tmp_path / "drift")])
    out = capsys.readouterr().out
    assert code == 3
    assert f"  stack tenant-azure: {NOTE} (drift not checked)\n" in out
    data = json.loads((tmp_path / "drift/drift.json").read_text())
    assert data["drifted"] is False
    assert data["stacks"] == {"pool-aws": []}
    assert data["schemaCheckedOnly"] == {"tenant-azure": NOTE}
    assert f"tenant-azure: {NOTE} (drift not checked)" in data["unchecked"]
    report = (tmp_path / "drift/drift.md").read_text()
    assert "## Paybill drift: no drift; 1 stack NOT CHECKED (schema-checked only)\n" in report
    copies = tmp_path / "work" / "stacks"
    assert (copies / "pool-aws" / "drift.tfplan").is_file()
    assert not (copies / "tenant-azure" / "drift.tfplan").exists()
