"""The GitHub side of the scaffolded workflows, run step by step (tests/support/actions.py)
with a stand-in `paybill` that answers with prepared reports and exit codes: the plan
comment is one comment edited in place, a refused plan fails the check with the list, the
drift issue is opened, updated and closed. (The real paybill, on the sandbox, is
test_workflows_sandbox.py.)"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support.actions import Event, Run, Runner
from tests.support.tools import require_binary

PLAN = ".github/workflows/paybill-plan.yml"
APPLY = ".github/workflows/paybill-apply.yml"
DRIFT = ".github/workflows/paybill-drift.yml"
MARKER = "<!-- paybill-plan -->"

STUB = """\
#!/usr/bin/env bash
# A stand-in paybill: records its arguments; `plan` and `drift` write the prepared report
# into --out and exit with the prepared code; `compile` exits with its prepared code, if
# any; every other command succeeds.
set -e
echo "$*" >> "{folder}/calls.txt"
out=""
previous=""
for arg in "$@"; do
  if [ "$previous" = "--out" ]; then out="$arg"; fi
  previous="$arg"
done
case "$1" in
  compile)
    if [ -f "{folder}/compile.exit" ]; then exit "$(cat "{folder}/compile.exit")"; fi
    ;;
  plan|drift)
    mkdir -p "$out"
    cp "{folder}/$1"/* "$out"/
    exit "$(cat "{folder}/$1.exit")"
    ;;
esac
"""


class Stub:
    """The prepared answers of the stand-in paybill."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "bin").mkdir(parents=True)
        script = folder / "bin" / "paybill"
        script.write_text(STUB.format(folder=folder))
        script.chmod(0o755)

    def answer(self, command: str, code: int, files: dict[str, str]) -> None:
        shutil.rmtree(self.folder / command, ignore_errors=True)
        (self.folder / command).mkdir()
        for name, text in files.items():
            (self.folder / command / name).write_text(text)
        (self.folder / f"{command}.exit").write_text(f"{code}\n")

    def stale(self) -> None:
        """`compile --check` finds generated/ out of date from now on."""
        (self.folder / "compile.exit").write_text("1\n")

    def calls(self) -> list[str]:
        return (self.folder / "calls.txt").read_text().splitlines()


@pytest.fixture
def github(repository: Path, tmp_path: Path) -> tuple[Runner, Stub, dict[str, str]]:
    """The scaffolded repository pushed to an "origin" with main and a pull-request branch,
    a runner for it, and the stand-in paybill."""
    require_binary("jq", "run `make tools` (apt-get install jq)")
    require_binary("git", "apt-get install git")
    origin = tmp_path / "origin.git"
    git = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    _git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    _git(repository, "init", "--quiet", "--initial-branch=main")
    _git(repository, "add", "-A")
    _git(repository, *git, "commit", "--quiet", "-m", "Platform")
    _git(repository, "remote", "add", "origin", str(origin))
    _git(repository, "push", "--quiet", "origin", "main")
    _git(repository, "switch", "--quiet", "-c", "onboard-initech")
    (repository / "notes.md").write_text("onboarding\n")
    _git(repository, "add", "-A")
    _git(repository, *git, "commit", "--quiet", "-m", "Onboard Initech")
    _git(repository, "push", "--quiet", "origin", "onboard-initech")
    commits = {
        "main": _git(repository, "rev-parse", "main").strip(),
        "pr": _git(repository, "rev-parse", "HEAD").strip(),
    }
    stub = Stub(tmp_path / "stub")
    runner = Runner(
        origin,
        tmp_path / "github",
        variables={"AWS_REGION": "eu-central-1", "PAYBILL_PLAN_ROLE_ARN": "arn:plan"},
        tools=[stub.folder / "bin"],
    )
    return runner, stub, commits


def _git(folder: Path, *args: str) -> str:
    import subprocess  # noqa: PLC0415

    done = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def pull_request(commits: dict[str, str]) -> Event:
    payload = {
        "number": 7,
        "pull_request": {"number": 7, "base": {"ref": "main"}, "head": {"sha": commits["pr"]}},
    }
    return Event(
        "pull_request",
        commits["pr"],
        "refs/pull/7/merge",
        payload,
        base_ref="main",
        head_ref="onboard-initech",
    )


def merge_group(commits: dict[str, str]) -> Event:
    """A merge queue testing the pull request merged onto main (here: its own commit)."""
    ref = "refs/heads/gh-readonly-queue/main/pr-7-" + commits["pr"]
    payload = {
        "merge_group": {
            "base_ref": "refs/heads/main",
            "base_sha": commits["main"],
            "head_ref": ref,
            "head_sha": commits["pr"],
        }
    }
    return Event("merge_group", commits["pr"], ref, payload)


def summary(text: str) -> str:
    return f"{MARKER}\n## Paybill plan: {text}\n"


def plan_json(destructive: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"destructive": destructive or []})


def comments(runner: Runner) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = runner.github()["comments"]
    return found


def test_the_plan_is_one_comment_edited_on_every_push(
    github: tuple[Runner, Stub, dict[str, str]],
) -> None:
    runner, stub, commits = github
    stub.answer("plan", 2, {"summary.md": summary("1 tenant change"), "plan.json": plan_json()})
    first = runner.run(PLAN, pull_request(commits))
    assert first.job("plan").result == "success", first.failures()
    assert [c["body"] for c in comments(runner)] == [summary("1 tenant change")]

    stub.answer("plan", 2, {"summary.md": summary("2 tenant changes"), "plan.json": plan_json()})
    second = runner.run(PLAN, pull_request(commits))
    assert second.job("plan").result == "success", second.failures()
    assert [(c["id"], c["body"]) for c in comments(runner)] == [
        (comments(runner)[0]["id"], summary("2 tenant changes"))
    ]
    methods = [(c["method"], c["path"]) for c in runner.github()["calls"]]
    assert methods == [
        ("GET", "repos/example/platform/issues/7/comments"),
        ("POST", "repos/example/platform/issues/7/comments"),
        ("GET", "repos/example/platform/issues/7/comments"),
        ("PATCH", f"repos/example/platform/issues/comments/{comments(runner)[0]['id']}"),
    ]
    assert (
        stub.calls()
        == [
            "validate spec",
            "validate spec --base origin/main",
            "compile spec --out generated --check",
            "plan spec --base origin/main --generated generated --out plan",
        ]
        * 2
    )
    _recorded_as_github_would(second)


def _recorded_as_github_would(run: Run) -> None:
    given = {r.action: r.inputs for r in run.recorded}
    assert given["aws-actions/configure-aws-credentials"] == {
        "role-to-assume": "arn:plan",
        "aws-region": "eu-central-1",
    }
    assert given["actions/upload-artifact"] == {
        "name": "paybill-plan-pr7-1",
        "path": "plan/",
        "retention-days": 14,
    }
    kept = run.artifacts["paybill-plan-pr7-1"]
    assert sorted(p.name for p in kept.iterdir()) == ["plan.json", "summary.md"]
    assert given["actions/checkout"] == {"fetch-depth": 0}


def test_a_refused_plan_is_commented_and_fails_the_check_with_the_list(
    github: tuple[Runner, Stub, dict[str, str]],
) -> None:
    runner, stub, commits = github
    refused = {
        "what": "tenant globex moves from pooled/shared to bridge/shared (isolation): a migration",
        "confirmIn": "Tenant/globex spec",
        "confirmation": "migration: {from: pooled/shared, to: bridge/shared}",
        "confirmed": False,
    }
    confirmed = {**refused, "what": "something else", "confirmed": True}
    stub.answer(
        "plan",
        1,
        {"summary.md": summary("REFUSED"), "plan.json": plan_json([refused, confirmed])},
    )
    run = runner.run(PLAN, pull_request(commits))
    job = run.job("plan")
    assert job.result == "failure"
    assert [c["body"] for c in comments(runner)] == [summary("REFUSED")]
    last = job.steps[-1]
    assert (last.name, last.outcome) == (
        "Refuse what destroys or moves data without a confirmation",
        "failure",
    )
    assert last.log == textwrap.dedent(
        """\
        ::error title=Refused by paybill plan::tenant globex moves from pooled/shared to \
bridge/shared (isolation): a migration (to allow it, add to Tenant/globex spec: migration: \
{from: pooled/shared, to: bridge/shared})
        paybill plan refuses the changes above until the spec confirms each one
        """
    )


def test_spec_errors_fail_before_anything_is_commented(
    github: tuple[Runner, Stub, dict[str, str]],
) -> None:
    runner, stub, commits = github
    stub.answer("plan", 1, {})
    run = runner.run(PLAN, pull_request(commits))
    outcomes = [(s.name, s.outcome) for s in run.job("plan").steps[-4:]]
    assert outcomes == [
        ("Plan", "failure"),
        ("Comment the plan on the pull request", "skipped"),
        ("Keep the plan folder", "skipped"),
        ("Refuse what destroys or moves data without a confirmation", "skipped"),
    ]
    assert comments(runner) == []


def test_the_drift_issue_is_opened_updated_and_closed(
    github: tuple[Runner, Stub, dict[str, str]],
) -> None:
    runner, stub, commits = github
    runner.variables["PAYBILL_DRIFT_ROLE_ARN"] = "arn:drift"
    schedule = Event("schedule", commits["main"], "refs/heads/main")

    def drift(code: int, report: str) -> Run:
        stub.answer("drift", code, {"drift.md": report, "drift.json": "{}"})
        run = runner.run(DRIFT, schedule)
        assert run.job("drift").result == "success", run.failures()
        return run

    drift(0, "no drift\n")
    assert runner.github()["issues"] == {}
    drift(2, "- `tenant-acme`: changed outside Terraform\n")
    drift(2, "- `tenant-acme`: changed outside Terraform\n- `pool-shared`: a grant\n")
    issues = runner.github()["issues"]
    assert list(issues) == ["1"]
    issue = issues["1"]
    assert issue["state"] == "open"
    assert issue["title"] == "Drift: the cloud or the databases differ from main"
    assert issue["body"].startswith("<!-- paybill-drift -->\nFound by the [scheduled drift check]")
    assert issue["body"].endswith(
        "\n\n- `tenant-acme`: changed outside Terraform\n- `pool-shared`: a grant\n"
    )
    last = drift(0, "no drift\n")
    issue = runner.github()["issues"]["1"]
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert comments(runner) == [
        {
            "id": 1000,
            "issue": 1,
            "body": "No drift any more ([drift check](https://github.com/example/platform/"
            "actions/runs/4)).",
        }
    ]
    drift(2, "again\n")
    assert sorted(runner.github()["issues"]) == ["1", "2"]
    given = {r.action: r.inputs for r in last.recorded}
    assert given["aws-actions/configure-aws-credentials"]["role-to-assume"] == "arn:drift"
    assert "paybill-drift-4-1" in last.artifacts


def test_a_merge_queue_runs_the_same_check_against_the_commit_it_merges_onto(
    github: tuple[Runner, Stub, dict[str, str]],
) -> None:
    runner, stub, commits = github
    stub.answer("plan", 2, {"summary.md": summary("1 tenant change"), "plan.json": plan_json()})
    run = runner.run(PLAN, merge_group(commits))
    job = run.job("plan")
    assert job.result == "success", run.failures()
    base = commits["main"]
    assert stub.calls() == [
        "validate spec",
        f"validate spec --base {base}",
        "compile spec --out generated --check",
        f"plan spec --base {base} --generated generated --out plan",
    ]
    # No pull request to comment on: the plan goes to the run's page and its artifacts.
    assert comments(runner) == []
    step = next(s for s in job.steps if s.name == "Comment the plan on the pull request")
    assert step.outcome == "skipped"
    assert list(run.artifacts) == [f"paybill-plan-queue{runner.run_id}-1"]


def test_a_stale_generated_fails_the_check_before_anything_is_planned(
    github: tuple[Runner, Stub, dict[str, str]],
) -> None:
    runner, stub, commits = github
    stub.stale()
    run = runner.run(PLAN, merge_group(commits))
    job = run.job("plan")
    assert job.result == "failure"
    failed = [s for s in job.steps if s.outcome == "failure"]
    assert [s.name for s in failed] == ["The committed generated/ is what the spec compiles to"]
    assert "::error title=generated/ is not what the spec compiles to::" in failed[0].log
    assert not any(call.startswith("plan ") for call in stub.calls())


def test_the_apply_refuses_a_stale_generated_before_any_wave(
    github: tuple[Runner, Stub, dict[str, str]],
) -> None:
    runner, stub, commits = github
    stub.stale()
    run = runner.run(APPLY, Event("push", commits["main"], "refs/heads/main"))
    waves = run.job("waves")
    assert waves.result == "failure"
    failed = [s for s in waves.steps if s.outcome == "failure"]
    assert [s.name for s in failed] == ["The committed generated/ is what the spec compiles to"]
    assert "::error title=generated/ on main is stale; nothing was applied::" in failed[0].log
    assert stub.calls() == ["compile spec --out generated --check"]
    assert {j.result for j in run.jobs if j.job != "waves"} <= {"skipped"}
