"""`paybill plan` refuses a change that destroys data until the spec confirms it: a silo
tenant's stack whose state holds a bucket its configuration no longer has (an archive
bucket an earlier version of the stack made), planned with an unrelated change to it.

Terraform here is the stand-in of tests/support/stand_in_terraform.py, which plans by
resource address: the deleted bucket is what the compiled stacks of the two revisions
differ by, not a scripted answer. How real terraform reports a deletion and a protected
replacement is tested in test_protected_plan.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.commands.sandbox import VARIABLES
from tests.operate.repo import TENANTS, Repository, tenant
from tests.support.stand_in_terraform import STATE, seed_state, write_stand_in
from tests.support.tools import require_binary

BUCKET = "aws_s3_bucket.archive"
FASTER = "  overrides: {limits: {apiRequestsPerSecond: 99}}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    """A pool and the silo tenant charlie, applied (as far as the stand-in knows), with an
    archive bucket in its state that its configuration does not have."""
    require_binary("git", "install git")
    repository = Repository.create(tmp_path / "platform", {"charlie": TENANTS["charlie"]})
    workdir = tmp_path / "work"
    seed_state(workdir, repository.root / "generated")
    state = workdir / "stacks" / "tenant-charlie" / STATE
    root = json.loads((repository.root / "generated/stacks/tenant-charlie/cdk.tf.json").read_text())
    [module] = root["module"]
    held = json.loads(state.read_text())
    state.write_text(json.dumps({**held, f"module.{module}.{BUCKET}": "aws_s3_bucket"}))
    repository.env = {
        **VARIABLES,
        "PAYBILL_TERRAFORM": str(write_stand_in(tmp_path / "bin")),
        "PAYBILL_WORKDIR": str(workdir),
    }
    return repository


def test_destroying_data_is_refused_until_the_spec_confirms_it(repo: Repository) -> None:
    repo.git("checkout", "-q", "-b", "charlie-faster")
    repo.write("tenants/charlie.yaml", tenant("charlie", "enterprise", pool=None, extra=FASTER))
    repo.commit("charlie gets a higher API rate")
    refused = repo.paybill("plan", "--base", "main", "--jobs", "4")
    assert refused.code == 1, refused
    assert (
        f"refused: delete {BUCKET} in stack tenant-charlie; add to "
        f"Tenant/charlie spec: confirmDestroy: [{BUCKET}]"
    ) in refused.out
    items = [i for i in repo.plan_json()["destructive"] if i["node"].startswith("stack:")]
    assert [(i["confirmIn"], i["confirmed"]) for i in items] == [("Tenant/charlie spec", False)]
    assert items[0]["confirmation"] == f"confirmDestroy: [{BUCKET}]"

    repo.write(
        "tenants/charlie.yaml",
        tenant("charlie", "enterprise", pool=None, extra=f"{FASTER}  confirmDestroy: [{BUCKET}]\n"),
    )
    repo.commit("confirmed: the archive bucket may go")
    planned = repo.paybill("plan", "--base", "main", "--jobs", "4")
    assert planned.code == 2, planned  # changes, none refused
    destructive = repo.plan_json()["destructive"]
    assert [(i["what"], i["confirmed"]) for i in destructive] == [(items[0]["what"], True)]
    assert "refused: delete" not in planned.out, planned.out
