"""A tenant's entitlements in its database: every limit and feature of its effective plan
(overrides applied) in `paybill.tenants`, the same as its entitlements document, read by its
application (and its agents) with `paybill_api.entitlements()`; a plan edit changes them by
`paybill sql apply`, and a hand edit is drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.acl.compiled import compile_acl
from tests.sqlops.fleet import TARGET, converged
from tests.sqlops.live import compile_to, login, sql_cmd
from tests.support.postgres import Database, Databases

pytestmark = pytest.mark.postgres
COLUMNS = (
    "tenant",
    "plan",
    "state",
    "seats",
    "storageGb",
    "apiRequestsPerSecond",
    "agentRunsPerDay",
    "agentStepsPerWorkflow",
    "agentRowsPerStep",
    "features",
)


def document(generated: Path, tenant: str) -> tuple[Any, ...]:
    """The tenant's entitlements document, in the columns the function returns."""
    doc = json.loads((generated / "acl" / "entitlements" / f"{tenant}.json").read_text())
    limits = doc["limits"]
    return (
        doc["tenant"],
        doc["plan"],
        doc["state"],
        *(limits[name] for name in COLUMNS[3:9]),
        doc["features"],
    )


def read(db: Database, role: str) -> list[tuple[Any, ...]]:
    with login(db, role, autocommit=True) as conn:
        return conn.execute("SELECT * FROM paybill_api.entitlements()").fetchall()


def test_the_application_reads_the_entitlements_its_document_holds(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated, seeded=False)
    compile_acl(fleet, generated)
    for tenant in ("alpha-co", "charlie-works", "delta-ltd"):  # team, hobby; one suspended
        app = "app_" + tenant.replace("-", "_")
        assert read(db, app) == [document(generated, tenant)]
    # An agent reads its own tenant's; a login holding no tenant's role, nothing at all.
    assert read(db, "agent_alpha_co_nudger") == [document(generated, "alpha-co")]
    with db.connect() as admin:
        admin.execute("SET ROLE paybill_pool_fleet_eu_app")
        assert admin.execute("SELECT count(*) FROM paybill_api.entitlements()").fetchone() == (0,)


def test_a_plan_edit_is_applied_and_a_hand_edit_is_drift(
    pg: Databases, fleet: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    db = converged(pg, fleet, generated, seeded=False)
    plans = fleet / "plans.yaml"
    plans.write_text(plans.read_text().replace("seats: 50,", "seats: 60,"))
    compile_to(fleet, generated)
    drift = sql_cmd("drift", db, generated, TARGET)
    changed = [line for line in drift.out.splitlines() if "paybill.tenants" in line]
    assert drift.code == 2
    assert changed == [
        f"  row '{tenant}' of paybill.tenants has seats 50; the spec says 60"
        for tenant in ("alpha-co", "bravo-labs", "delta-ltd", "echo-inc", "foxtrot")
    ]
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    assert read(db, "app_alpha_co")[0][3] == 60
    with db.connect() as admin:
        admin.execute("UPDATE paybill.tenants SET features = '{sso}' WHERE tenant = 'alpha-co'")
    drift = sql_cmd("drift", db, generated, TARGET)
    assert drift.out.splitlines()[1:-1] == [
        "  row 'alpha-co' of paybill.tenants has features {sso}; the spec says {cleanup, nudges}"
    ]
    assert sql_cmd("apply", db, generated, TARGET).code == 0
    assert sql_cmd("drift", db, generated, TARGET).code == 0
