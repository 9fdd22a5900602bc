"""Why the scaffolded workflows require the check in a merge queue (or up-to-date branches)
and the apply checks generated/ first: two pull requests that each pass and merge without a
conflict can still leave generated/ stale. Here, a plan edit and a new tenant on that plan:
git merges them cleanly, and only `compile --check` on the merged tree sees that the new
tenant's files were compiled against the old plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.operate.repo import Repository, tenant
from tests.support.tools import require_binary


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    require_binary("git", "install git")
    return Repository.create(tmp_path / "platform")


def test_two_clean_merges_can_leave_generated_stale_and_check_finds_it(
    repo: Repository,
) -> None:
    repo.git("switch", "-q", "-c", "faster-starter")
    repo.edit("plans/starter.yaml", "apiRequestsPerSecond: 20", "apiRequestsPerSecond: 30")
    repo.commit("Starter: 30 requests per second")
    repo.git("switch", "-q", "main")
    repo.git("switch", "-q", "-c", "onboard-delta")
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))
    repo.commit("Onboard delta on Starter")
    # Each branch alone is current.
    assert repo.paybill("compile", "spec", "--out", "generated", "--check").code == 0
    repo.git("switch", "-q", "main")
    repo.git("merge", "-q", "--no-edit", "faster-starter")
    repo.git("merge", "-q", "--no-edit", "onboard-delta")  # no conflict
    check = repo.paybill("compile", "spec", "--out", "generated", "--check")
    assert check.code == 1, check
    changed = [line.split()[-1] for line in check.out.splitlines() if line.startswith("  ")]
    assert "stacks/tenant-delta/cdk.tf.json" in changed
    assert all("delta" in path for path in changed), changed
