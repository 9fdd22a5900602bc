"""`paybill plan` refuses a change that destroys data until the spec confirms it: a silo
tenant moved to a bridge plan (a migration, confirmed) loses its own log bucket (a bridge
tenant logs to its pool's).

Terraform here is the stand-in of tests/support/stand_in_terraform.py, which plans by
resource address: the deleted bucket is what the compiled stacks of the two revisions
differ by, not a scripted answer. How real terraform reports a deletion and a protected
replacement is tested in test_protected_plan.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.commands.sandbox import VARIABLES
from tests.operate.repo import TENANTS, Repository, tenant
from tests.support.stand_in_terraform import seed_state, write_stand_in
from tests.support.tools import require_binary

BUCKET = "aws_s3_bucket.log_bucket"
MIGRATION = "  migration: {from: silo/aws/eu-central-1, to: bridge/eu-shared}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    """A pool and the silo tenant charlie, applied (as far as the stand-in knows)."""
    require_binary("git", "install git")
    repository = Repository.create(tmp_path / "platform", {"charlie": TENANTS["charlie"]})
    workdir = tmp_path / "work"
    seed_state(workdir, repository.root / "generated")
    repository.env = {
        **VARIABLES,
        "PAYBILL_TERRAFORM": str(write_stand_in(tmp_path / "bin")),
        "PAYBILL_WORKDIR": str(workdir),
    }
    return repository


def test_destroying_data_is_refused_until_the_spec_confirms_it(repo: Repository) -> None:
    repo.git("checkout", "-q", "-b", "charlie-to-bridge")
    repo.write("tenants/charlie.yaml", tenant("charlie", "pro", extra=MIGRATION))
    repo.commit("charlie to the pro plan")
    refused = repo.paybill("plan", "--base", "main", "--jobs", "4")
    assert refused.code == 1, refused
    assert (
        f"refused: delete {BUCKET} in stack tenant-charlie; add to "
        f"Tenant/charlie spec: confirmDestroy: [{BUCKET}]"
    ) in refused.out
    items = [i for i in repo.plan_json()["destructive"] if i["node"].startswith("stack:")]
    assert items, refused.out
    assert all(i["confirmIn"] == "Tenant/charlie spec" for i in items), items
    assert not any(i["confirmed"] for i in items), items
    addresses = sorted(i["confirmation"].split("[")[1].rstrip("]") for i in items)
    assert BUCKET in addresses

    repo.write(
        "tenants/charlie.yaml",
        tenant(
            "charlie",
            "pro",
            extra=f"{MIGRATION}  confirmDestroy: [{', '.join(addresses)}]\n",
        ),
    )
    repo.commit("confirmed: what charlie's move destroys")
    planned = repo.paybill("plan", "--base", "main", "--jobs", "4")
    destructive = repo.plan_json()["destructive"]
    confirmed = [i for i in destructive if i["node"].startswith("stack:")]
    assert [i["what"] for i in confirmed] == [i["what"] for i in items], confirmed
    assert all(i["confirmed"] for i in confirmed), confirmed
    # What still refuses the plan is the move itself: a silo tenant's stack cannot be built
    # beside itself as a bridge home in this version (docs/migrations.md), so nothing the
    # spec adds allows it, and the deletions confirmed above are no longer listed as refused.
    assert planned.code == 1, planned
    assert [i["node"] for i in destructive if not i["confirmed"]] == ["tenant:charlie"]
    assert "refused: delete" not in planned.out, planned.out
    assert "nothing allows it in this version" in planned.out, planned.out
