"""Tenant lifecycle and subscription: static rules, and transitions against a base.

A base is what the spec was before the change: a folder (`--base old-spec/`) or a git
revision (`--base origin/main`). Every transition case runs against both.
"""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.specs import BASE, errors, expect, valid
from tests.support.tools import require_binary


def test_static(workdir: Path) -> None:
    """Rules that hold in any single version of the spec, without a base."""
    assert errors(workdir, "lifecycle/static") == expect(
        "spec/tenants/kappa.yaml:12:26: Tenant/kappa spec.subscription.status: a canceled subscription needs state offboarding or deleted, not active (set 'state: offboarding' to start removing the tenant)",
        "spec/tenants/lambda.yaml:11:26: Tenant/lambda spec.subscription.status: trialing tenants are not silo, but plan 'enterprise' is (start the trial on a pooled or bridge plan and move to silo when it converts)",
        "spec/tenants/mu.yaml:12:26: Tenant/mu spec.subscription.status: plan 'basic' offers no trial (billing.trialDays is 0) (choose a plan with billing.trialDays, or set the subscription's status to active)",
        "spec/tenants/nu.yaml:11:10: Tenant/nu spec.state: a deleted tenant's subscription must be canceled, not past_due",
        "spec/tenants/omicron.yaml:13:24: Tenant/omicron spec.confirmDataDeletion: confirmation 'omega' does not match the tenant's name (write 'confirmDataDeletion: omicron')",
        "spec/tenants/xi.yaml:11:10: Tenant/xi spec.state: deleting a tenant destroys its data and needs an explicit confirmation (add 'confirmDataDeletion: xi' to the spec, for reviewers to see)",
    )


def test_the_retired_data_move_confirmation_says_what_replaces_it(workdir: Path) -> None:
    assert errors(workdir, "lifecycle/retired") == expect(
        "spec/tenants/eta.yaml:13:3: Tenant/eta spec.confirmDataMove: unknown field 'confirmDataMove' (a move to another home is confirmed with 'migration: {from: <old home>, to: <new home>}', homes written pooled/<pool>, bridge/<pool> or silo/<cloud>/<region> (docs/migrations.md))",
    )


# case -> expected lines; {base} is how the base is named, {at} where its files are shown.
TRANSITIONS = {
    "skip-offboarding": [
        "spec/tenants/gamma.yaml:11:10: Tenant/gamma spec.state: state cannot change from active to deleted in one step; a tenant reaches deleted only through offboarding (from active it may become: offboarding, suspended)",
    ],
    "removed-live": [
        "{at}/tenants/gamma.yaml:4:9: Tenant/gamma: tenant 'gamma' was removed from the spec while it is active in {base} (set 'state: offboarding', then 'deleted' with confirmDataDeletion; remove the document only after that has been applied)",
    ],
    "leaves-dedicated": [
        "spec/tenants/beta.yaml:8:9: Tenant/beta spec.plan: moving from bridge/eu-pool (in {base}) to pooled/eu-pool changes the tenant's isolation: a migration, which needs a reviewed confirmation (add 'migration: {{from: bridge/eu-pool, to: pooled/eu-pool}}' to the tenant's spec and compile; then run 'paybill plan --base origin/main' (your base branch): it prints the whole migration, which 'paybill apply' runs once merged, keeping the old home until a second confirmation, 'retireOld: true', retires it (docs/migrations.md))",
    ],
    "silo-region": [
        "spec/tenants/alpha.yaml:9:11: Tenant/alpha spec.region: moving from silo/aws/eu-central-1 (in {base}) to silo/aws/us-east-1 changes the tenant's region: a migration, which needs a reviewed confirmation (add 'migration: {{from: silo/aws/eu-central-1, to: silo/aws/us-east-1}}' to the tenant's spec and compile; then run 'paybill plan --base origin/main' (your base branch): it prints the whole migration, which 'paybill apply' runs once merged, keeping the old home until a second confirmation, 'retireOld: true', retires it (docs/migrations.md))",
    ],
    "migration-mismatch": [
        "spec/tenants/beta.yaml:12:21: Tenant/beta spec.migration.from: the tenant lived in bridge/eu-pool (in {base}), not in pooled/eu-pool (write 'from: bridge/eu-pool')",
        "spec/tenants/eta.yaml:13:41: Tenant/eta spec.migration.to: the migration confirms a move to silo/aws/eu-central-1, but the spec puts the tenant in pooled/eu-pool: it confirms a move the spec does not make (write 'to: pooled/eu-pool' if the tenant moves there, or remove the migration block)",
        "spec/tenants/gamma.yaml:13:21: Tenant/gamma spec.migration.from: the migration moves the tenant from pooled/us-pool to the same home (write the home the tenant leaves in 'from', or remove the migration block)",
        "spec/tenants/kappa.yaml:13:14: Tenant/kappa spec.migration: the tenant is new (not in {base}): it has no old home to move from, so the migration confirms a move the spec does not make (remove the migration block)",
    ],
    "new-tenants": [
        "spec/tenants/kappa.yaml:10:10: Tenant/kappa spec.state: a new tenant (not in {base}) cannot start as offboarding (new tenants start as active, pending, suspended)",
        "spec/tenants/lambda.yaml:10:10: Tenant/lambda spec.state: a new tenant (not in {base}) cannot start as deleted (new tenants start as active, pending, suspended)",
    ],
    "subscription": [
        "spec/tenants/beta.yaml:12:26: Tenant/beta spec.subscription.status: subscription cannot change from past_due to trialing (from past_due it may become: active, canceled, paused, unpaid)",
    ],
}

# A change that only takes allowed steps: offboarding -> deleted with confirmation, a deleted
# tenant's document removed, a bridge tenant moved to pooled with its migration confirmed, a
# new tenant,
# a suspension, and a pending trial that starts paying.
ALLOWED = {
    "tenants/omega.yaml": """
        apiVersion: paybill.dev/v1
        kind: Tenant
        metadata: {name: omega}
        spec:
          displayName: Omega SA
          plan: pro
          region: eu-central-1
          pool: eu-pool
          state: deleted
          subscription: {status: canceled}
          confirmDataDeletion: omega
        """,
    "tenants/zeta.yaml": "# zeta was deleted and applied; its document may go now.\n",
    "tenants/beta.yaml": """
        apiVersion: paybill.dev/v1
        kind: Tenant
        metadata: {name: beta}
        spec:
          displayName: Beta Ltd
          plan: basic
          region: eu-central-1
          pool: eu-pool
          state: active
          subscription: {status: active}
          migration: {from: bridge/eu-pool, to: pooled/eu-pool}
          stack: tenant-beta-2
        """,
    "tenants/kappa.yaml": """
        apiVersion: paybill.dev/v1
        kind: Tenant
        metadata: {name: kappa}
        spec:
          displayName: Kappa
          plan: trial
          region: us-east-1
          pool: us-pool
          state: pending
          subscription: {status: trialing}
        """,
    "tenants/gamma.yaml": """
        apiVersion: paybill.dev/v1
        kind: Tenant
        metadata: {name: gamma}
        spec:
          displayName: Gamma GmbH
          plan: basic
          region: us-east-1
          pool: us-pool
          state: suspended
          subscription: {status: past_due}
        """,
    "tenants/delta.yaml": """
        apiVersion: paybill.dev/v1
        kind: Tenant
        metadata: {name: delta}
        spec:
          displayName: Delta Inc
          plan: trial
          region: us-east-1
          pool: us-pool
          state: active
          subscription: {status: active}
        """,
}


def base_folder(workdir: Path) -> tuple[str, str]:
    """The base spec as a folder next to `spec`: (the --base argument, where files show)."""
    shutil.copytree(BASE, workdir / "base")
    return "base", "base"


def base_commit(workdir: Path) -> tuple[str, str]:
    """The base spec committed in a fresh git repository whose work tree is `workdir`."""
    git = require_binary("git", "install git (apt-get install git)")
    shutil.copytree(BASE, workdir / "spec")

    def run(*args: str) -> None:
        subprocess.run(
            [git, "-c", "user.name=Reviewer", "-c", "user.email=reviewer@example.invalid",
             "-c", "commit.gpgsign=false", *args],
            cwd=workdir, check=True, capture_output=True,
        )  # fmt: skip

    run("init", "--quiet")
    run("add", "spec")
    run("commit", "--quiet", "-m", "base")
    shutil.rmtree(workdir / "spec")  # `errors()` builds it again, with the case laid over
    return "HEAD", "HEAD:spec"


BASES = {"folder": base_folder, "git": base_commit}


@pytest.mark.parametrize("how", sorted(BASES))
@pytest.mark.parametrize("case", sorted(TRANSITIONS))
def test_transitions(workdir: Path, case: str, how: str) -> None:
    base, at = BASES[how](workdir)
    lines = [line.format(base=base, at=at) for line in TRANSITIONS[case]]
    assert errors(workdir, f"transitions/{case}", base=base) == expect(*lines)


@pytest.mark.parametrize("how", sorted(BASES))
def test_allowed_transitions(workdir: Path, how: str) -> None:
    base, _ = BASES[how](workdir)
    spec = valid(workdir, files=ALLOWED, base=base)
    states = {t.name: (t.state, t.subscription, t.isolation) for t in spec.tenants}
    assert states == {
        "alpha": ("active", "active", "silo"),
        "beta": ("active", "active", "pooled"),
        "delta": ("active", "active", "pooled"),
        "eta": ("active", "active", "pooled"),
        "gamma": ("suspended", "past_due", "pooled"),
        "kappa": ("pending", "trialing", "pooled"),
        "omega": ("deleted", "canceled", "bridge"),
    }


def test_transitions_need_a_base(workdir: Path) -> None:
    """Without --base only the static rules apply: skipping offboarding is not visible."""
    spec = valid(workdir, "transitions/skip-offboarding")
    assert spec.tenant("gamma").state == "deleted"


def test_a_broken_base_is_refused(workdir: Path) -> None:
    """Comparing with half a base would call its broken tenants new or removed."""
    base_folder(workdir)
    (workdir / "base" / "tenants" / "gamma.yaml").write_text(
        "apiVersion: paybill.dev/v1\nkind: Tenant\nmetadata: {name: gamma}\nspec: {plan: basic}\n"
    )
    assert errors(workdir, base="base") == expect(
        "base/tenants/gamma.yaml:4:1: Tenant/gamma spec.displayName: missing required field 'displayName'",
        "base/tenants/gamma.yaml:4:1: Tenant/gamma spec.region: missing required field 'region'",
        "base/tenants/gamma.yaml:4:1: Tenant/gamma spec.state: missing required field 'state'",
        "base/tenants/gamma.yaml:4:1: Tenant/gamma spec.subscription: missing required field 'subscription'",
    )
