"""checkov over every module and every stack of spec/, the examples and the behaviour spec:
every file parsed, checks run, and the failures exactly the reviewed ones of
checkov-baseline.yaml (tests/emit/stacks/checkov.py says how and why it runs the way it
does, and what it scans)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler.emit import Artifact
from tests.emit.stacks.checkov import (
    STACK_FILE,
    checkov,
    compare,
    generated_copies,
    load_baseline,
    run_checkov,
    scan,
)

pytestmark = [pytest.mark.slow]


def test_checkov_finds_only_reviewed_findings(
    family_sets: dict[str, list[Artifact]], tmp_path: Path
) -> None:
    binary = checkov()
    copies: dict[str, dict[str, Any]] = {}
    for name, artifacts in family_sets.items():
        written = {a.path: a.content for a in artifacts}
        copies.update(generated_copies(tmp_path, written, prefix=f"{name}/"))
    assert any("/modules/" in path for path in copies)
    report = scan(binary, tmp_path, copies)
    assert report.parsing_errors == 0
    # Every module and stack was parsed and checked, but those of Azure and OCI pooled
    # tenants: an identity, a role assignment and API Management products; a usage plan, a
    # subscriber and a secret, for which checkov 3.3 has no check at all (so it does not
    # list the file). Of IBM's, checkov 3.3 has one check that applies (CKV2_IBM_2, a VPC
    # without classic access): IBM bridge and pooled tenants have no VPC of their own.
    unchecked = set(copies) - report.files
    assert report.files <= set(copies)
    assert unchecked == {p for p in copies if _unchecked(p)}
    assert report.passed > 500
    unexpected, stale = compare(report, load_baseline())
    assert unexpected == []
    assert stale == []


def _unchecked(path: str) -> bool:
    """A module or stack of which checkov 3.3 checks no resource."""
    return (
        "azure-pooled" in path
        or "/modules/oci-pooled" in path
        or any(f"/{kind}/{what}" in path for kind, what in IBM_UNCHECKED)
    )


IBM_UNCHECKED = (
    ("modules", "ibm-bridge-"),
    ("modules", "ibm-pooled-"),
    ("stacks", "tenant-ibm-bridge/"),
    ("stacks", "tenant-ibm-pooled/"),
)


def test_ibm_stores_are_checked_by_the_one_ibm_check_that_applies(
    family_sets: dict[str, list[Artifact]], tmp_path: Path
) -> None:
    """Which CKV_IBM checks run on IBM's stacks: only CKV2_IBM_2 (no classic access) on
    each VPC. The others of checkov 3.3 are of resources the driver does not emit."""
    binary = checkov()
    written = {a.path: a.content for a in family_sets["multi-cloud"] if "ibm" in a.path}
    generated_copies(tmp_path, written)
    data = run_checkov(binary, tmp_path)
    assert data["summary"]["parsing_errors"] == 0
    results = data.get("results", {})
    assert results.get("failed_checks", []) == []
    passed = results.get("passed_checks", [])
    assert {r["check_id"] for r in passed} == {"CKV2_IBM_2"}
    checked = sorted(r["file_path"].split("/")[2] for r in passed)
    assert checked == [  # each VPC: the pool's and the silos' modules and stacks
        "ibm-pool",
        "ibm-silo-idle-blocked",
        "ibm-silo-service-blocked",
        "ibm-silo-service-unlimited",
        "pool-eu-ibm",
        "tenant-ibm-silo",
        "tenant-ibm-suspended",
    ]


def test_modules_as_written_have_the_findings_that_read_no_value(
    family_sets: dict[str, list[Artifact]], tmp_path: Path
) -> None:
    """The modules alone: every accepted finding but the one that reads a value the module
    only refers to (multi-AZ is the plan's; see the baseline)."""
    binary = checkov()
    written = {a.path: a.content for a in family_sets["spec"] if a.path.startswith("modules/")}
    report = scan(binary, tmp_path, generated_copies(tmp_path, written))
    assert report.parsing_errors == 0
    unexpected, stale = compare(report, load_baseline())
    assert unexpected == []
    # and the Azure and GCP entries, which are of the multi-cloud example's stacks
    assert [s for s in stale if "_AWS_" in s] == ["CKV_AWS_157 aws_db_instance.database"]


def test_the_baseline_gives_one_reason_per_check() -> None:
    for entry in load_baseline().values():
        assert entry.check_id.startswith(
            (
                "CKV_AWS_",
                "CKV2_AWS_",
                "CKV_AZURE_",
                "CKV2_AZURE_",
                "CKV_GCP_",
                "CKV2_GCP_",
                "CKV_OCI_",
                "CKV2_OCI_",
            )
        )
        assert entry.reason.strip()
        assert "\n" not in entry.reason.strip()
        assert entry.resources
        assert len(set(entry.resources)) == len(entry.resources)


def test_checkov_cannot_parse_the_stacks_as_written(
    family_sets: dict[str, list[Artifact]], tmp_path: Path
) -> None:
    """Why the copies drop `required_version`: with it, checkov parses nothing and says all
    is well. Once a checkov release parses it, this fails, and the workaround can go."""
    binary = checkov()
    artifact = next(
        a
        for a in family_sets["spec"]
        if a.path.startswith("modules/aws-pooled-") and a.path.endswith(STACK_FILE)
    )
    assert "required_version" in json.loads(artifact.content)["terraform"]
    (tmp_path / "as-written").mkdir()
    (tmp_path / "as-written" / STACK_FILE).write_bytes(artifact.content)
    summary = run_checkov(binary, tmp_path)["summary"]
    assert summary["parsing_errors"] == 1
    assert summary["passed"] + summary["failed"] == 0
