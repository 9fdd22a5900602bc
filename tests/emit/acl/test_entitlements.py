"""`acl/entitlements/<tenant>.json`: every limit and feature of a tenant's effective plan,
what its overrides decide, what its plan dedicates to it; valid against the committed
schema; rebuilt exactly when they change. And the reader an application uses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from compiler.acl import AclError
from compiler.acl.entitlements import ENTITLEMENTS_VERSION, load_entitlements, parse_entitlements
from compiler.pipeline import compile_spec, validate
from tests.acl.compiled import acl_artifacts
from tests.conftest import ALL_SPECS, SPEC
from tests.support.tools import REPO

SCHEMA = json.loads((REPO / "compiler/schemas/entitlements-v1.schema.json").read_bytes())


def documents(spec_dir: Path) -> dict[str, dict[str, object]]:
    return {
        a.path: json.loads(a.content)
        for a in acl_artifacts(spec_dir)
        if a.path.startswith("acl/entitlements/")
    }


@pytest.mark.parametrize("spec_dir", ALL_SPECS, ids=lambda p: p.name)
def test_every_live_tenant_has_valid_entitlements(spec_dir: Path) -> None:
    found = documents(spec_dir)
    live = [t.name for t in validate(spec_dir).live_tenants]
    assert sorted(found) == sorted(f"acl/entitlements/{name}.json" for name in live)
    for path, document in found.items():
        assert [e.message for e in Draft202012Validator(SCHEMA).iter_errors(document)] == []
        assert path == f"acl/entitlements/{document['tenant']}.json"


def test_overrides_are_applied_and_said() -> None:
    wayne = documents(SPEC)["acl/entitlements/wayne.json"]
    assert wayne == {
        "schemaVersion": ENTITLEMENTS_VERSION,
        "tenant": "wayne",
        "plan": "pro",
        "state": "active",
        "limits": {
            "seats": 250,  # the plan's 200, overridden
            "storageGb": 100,
            "apiRequestsPerSecond": 50,
            "agentRunsPerDay": 1000,
            "agentStepsPerWorkflow": None,
            "agentRowsPerStep": None,
        },
        "features": [
            "ai-support",
            "audit-log",
            "dunning",
            "invoice-reminders",
            "reconciliation",
            "refunds",
            "sso",
        ],
        "fromOverrides": {"limits": ["seats"], "features": ["refunds"]},
        "resources": {
            "database": {
                "engine": "postgres",
                "version": "15",
                "instanceClass": "db.t4g.medium",
                "storageGb": 100,
                "multiAz": False,
            },
            "compute": {"cpu": 1024, "memoryMb": 2048, "minTasks": 1, "maxTasks": 4},
        },
    }
    initech = documents(SPEC)["acl/entitlements/initech.json"]
    assert (initech["plan"], initech["resources"]) == ("starter", {})  # pooled: nothing dedicated


def test_a_seats_edit_of_a_plan_changes_the_entitlements_of_its_tenants_only(
    tmp_path: Path,
) -> None:
    """A limit no stack or ACL reads still reaches what the application reads: the tenant's
    entitlements document and its row in the database's tenants table."""
    spec = tmp_path / "spec"
    shutil.copytree(SPEC, spec)
    before = compile_spec(spec, tmp_path / "before", incremental=False)
    plan = spec / "plans/starter.yaml"
    plan.write_text(plan.read_text().replace("seats: 20,", "seats: 25,"))
    after = compile_spec(spec, tmp_path / "after", incremental=False)
    old = {o.path: o.sha256 for o in before.outputs}
    new = {o.path: o.sha256 for o in after.outputs}
    changed = sorted(p for p in new if old.get(p) != new[p] and not p.startswith("nodes/"))
    starter = sorted(t.name for t in after.spec.live_tenants if t.plan == "starter")
    assert starter == ["initech", "umbrella", "vandelay"]
    pools = {
        "initech": "pool-eu-shared",
        "umbrella": "pool-us-shared",
        "vandelay": "pool-us-shared",
    }
    rows = [f"sql/{pools[t]}/tenants/{t}.{ext}" for t in starter for ext in ("json", "sql")]
    assert changed == sorted([f"acl/entitlements/{name}.json" for name in starter] + rows)
    for name in starter:
        written = (tmp_path / "after" / f"acl/entitlements/{name}.json").read_bytes()
        assert json.loads(written)["limits"]["seats"] == 25
        row = (tmp_path / "after" / f"sql/{pools[name]}/tenants/{name}.sql").read_text()
        assert "  25, -- seats\n" in row


def test_the_reader_returns_what_the_file_says(tmp_path: Path) -> None:
    folder = tmp_path / "acl"
    (folder / "entitlements").mkdir(parents=True)
    wayne = documents(SPEC)["acl/entitlements/wayne.json"]
    (folder / "entitlements/wayne.json").write_text(json.dumps(wayne))
    granted = load_entitlements(folder, "wayne")
    assert granted.limits["seats"] == 250
    assert granted.limits["agentStepsPerWorkflow"] is None
    assert "sso" in granted.features
    assert granted.from_overrides == {"seats", "refunds"}
    assert granted.resources["database"]["instanceClass"] == "db.t4g.medium"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d | {"schemaVersion": "paybill.dev/entitlements/v9"}, "this runtime reads"),
        (lambda d: d | {"limits": {**d["limits"], "seats": "many"}}, "at limits/seats"),
        (lambda d: d | {"tenant": "acme"}, "holds the entitlements of 'acme', not 'wayne'"),
        (lambda d: d | {"extra": 1}, "Additional properties"),
    ],
)
def test_the_reader_fails_closed(tmp_path: Path, change: object, message: str) -> None:
    folder = tmp_path / "acl"
    (folder / "entitlements").mkdir(parents=True)
    document = change(documents(SPEC)["acl/entitlements/wayne.json"])  # type: ignore[operator]
    (folder / "entitlements/wayne.json").write_text(json.dumps(document))
    with pytest.raises(AclError, match=message):
        load_entitlements(folder, "wayne")


def test_a_tenant_without_a_file_or_name_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AclError, match="no entitlements for tenant 'soylent'"):
        load_entitlements(tmp_path, "soylent")
    with pytest.raises(AclError, match="is not a tenant name"):
        load_entitlements(tmp_path, "../etc/passwd")
    with pytest.raises(AclError, match=r"nested too deeply|not valid"):
        parse_entitlements({"schemaVersion": ENTITLEMENTS_VERSION, "limits": [[[]]]})
