"""The scaffolded workflows, read as files: actionlint-clean, actions pinned to a commit,
credentials only from OIDC, the plan comment's marker, the apply's chain of waves and the
script that turns the graph into each wave's matrix."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.cli import main
from compiler.operate.summary import MARKER
from tests.conftest import ALL_SPECS
from tests.support.tools import REPO
from tests.test_ci_files import actionlint

PIN = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


def workflows(repository: Path) -> list[Path]:
    return sorted((repository / ".github" / "workflows").glob("*.yml"))


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); give it back its name.
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_every_workflow_passes_actionlint(scaffolded: Path) -> None:
    files = workflows(scaffolded)
    assert [p.name for p in files] == [
        "paybill-apply-wave.yml",
        "paybill-apply.yml",
        "paybill-billing.yml",
        "paybill-drift.yml",
        "paybill-plan.yml",
    ]
    findings = actionlint(*files)
    shown = [f"{Path(f['file']).name}:{f['line']}:{f['column']}: {f['message']}" for f in findings]
    assert shown == []


def test_actions_are_pinned_to_a_commit_with_their_version(scaffolded: Path) -> None:
    """Every `uses:` of an action names a full commit and, in a comment, its version; one
    action has one pin everywhere (the scaffold and this repository's own CI)."""
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in [*workflows(scaffolded), *workflows(REPO)]:
        for line in path.read_text().splitlines():
            if "uses:" not in line or "uses: ./" in line:
                continue
            found = PIN.match(line)
            assert found, f"{path.name}: not pinned to a commit with its version: {line.strip()}"
            pins.setdefault(found[1], set()).add((found[2], found[3]))
    assert {action: len(found) for action, found in pins.items()} == dict.fromkeys(pins, 1)
    assert sorted(pins) == [
        "actions/checkout",
        "actions/setup-node",
        "actions/setup-python",
        "actions/upload-artifact",
        "aws-actions/configure-aws-credentials",
        "hashicorp/setup-terraform",
    ]


def _jobs(scaffolded: Path) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for path in workflows(scaffolded):
        data = load(path)
        out += [(path.name, data, job) for job in data["jobs"].values()]
    return out


def test_cloud_credentials_come_from_oidc_only(scaffolded: Path) -> None:
    used = 0
    for name, data, job in _jobs(scaffolded):
        for step in job.get("steps", []):
            if not str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials"):
                continue
            used += 1
            assert set(step["with"]) == {"role-to-assume", "aws-region"}, name
            assert re.fullmatch(
                r"\$\{\{ vars\.PAYBILL_[A-Z]+_ROLE_ARN \}\}", step["with"]["role-to-assume"]
            )
            permissions = job.get("permissions", data.get("permissions", {}))
            assert permissions.get("id-token") == "write", name
    assert used == 3
    text = "\n".join(p.read_text() for p in workflows(scaffolded))
    assert not re.search(r"aws-(access-key-id|secret-access-key)|AKIA[0-9A-Z]{16}", text)


def test_the_plan_comment_is_found_by_the_summary_marker(scaffolded: Path) -> None:
    plan = (scaffolded / ".github" / "workflows" / "paybill-plan.yml").read_text()
    assert f"marker='{MARKER}'" in plan


def test_the_plan_check_runs_on_pull_requests_and_in_a_merge_queue(scaffolded: Path) -> None:
    plan = load(scaffolded / ".github/workflows/paybill-plan.yml")
    assert plan["on"] == {"pull_request": {"branches": ["main"]}, "merge_group": None}
    # One job name in both: the check that branch protection or the queue requires.
    assert [job["name"] for job in plan["jobs"].values()] == ["validate, check and plan"]


def test_the_apply_checks_generated_before_it_reads_anything_from_it(scaffolded: Path) -> None:
    apply = load(scaffolded / ".github/workflows/paybill-apply.yml")
    steps = apply["jobs"]["waves"]["steps"]
    runs = [s.get("run", "") for s in steps]
    check = next(
        i for i, r in enumerate(runs) if "paybill compile spec --out generated --check" in r
    )
    first_read = next(i for i, r in enumerate(runs) if "paybill graph" in r or "paybill plan" in r)
    assert check < first_read
    assert "exit 1" in runs[check]


def test_the_waves_are_chained_and_the_tag_moves_last(scaffolded: Path) -> None:
    data = load(scaffolded / ".github" / "workflows" / "paybill-apply.yml")
    jobs = data["jobs"]
    waves = [name for name in jobs if re.fullmatch(r"wave\d+", name)]
    steps = jobs["waves"]["steps"]
    maximum = int(next(s for s in steps if s.get("id") == "waves")["env"]["MAX_WAVES"])
    assert waves == [f"wave{n}" for n in range(maximum)]
    assert set(jobs["waves"]["outputs"]) == {"base", "removed", *waves}
    for number, name in enumerate(waves):
        job = jobs[name]
        needs = ["waves"] if number == 0 else ["waves", f"wave{number - 1}"]
        assert job["needs"] in (needs, needs[0])
        assert job["uses"] == "./.github/workflows/paybill-apply-wave.yml"
        assert job["with"]["wave"] == number
        assert job["if"] == (
            f"${{{{ !cancelled() && !failure() && needs.waves.outputs.{name} != '[]' }}}}"
        )
    teardown = jobs["teardown"]
    assert teardown["needs"] == ["waves", waves[-1]]
    assert teardown["with"]["wave"] == -1
    assert jobs["applied"]["needs"] == ["waves", *waves, "teardown"]
    assert data["concurrency"] == {"group": "paybill-apply", "cancel-in-progress": False}


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda p: p.name)
def test_every_bundled_spec_fits_the_workflows_waves(
    scaffolded: Path, spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The deepest graphs there are (every isolation model and lifecycle state) have fewer
    waves than the apply workflow has jobs."""
    assert main(["graph", str(spec), "--format", "json"]) == 0
    depth = len(json.loads(capsys.readouterr().out)["waves"])
    steps = load(scaffolded / ".github" / "workflows" / "paybill-apply.yml")["jobs"]["waves"]
    env = next(s for s in steps["steps"] if s.get("id") == "waves")["env"]
    assert depth <= int(env["MAX_WAVES"])


# -- the matrix of each wave, from the graph and the change set ------------------------------


def matrix_script(scaffolded: Path) -> str:
    data = load(scaffolded / ".github" / "workflows" / "paybill-apply.yml")
    run = next(s for s in data["jobs"]["waves"]["steps"] if s.get("id") == "waves")["run"]
    found = re.search(r"<<'PY'\n(.*?)\nPY\n", run, re.S)
    assert found
    return found[1]


def legs(
    scaffolded: Path,
    tmp_path: Path,
    graph: dict[str, Any],
    changes: dict[str, Any] | None,
    max_legs: int = 20,
) -> tuple[int, dict[str, list[dict[str, str]]], str]:
    (tmp_path / "graph.json").write_text(json.dumps(graph))
    argv = [str(tmp_path / "graph.json"), ""]
    if changes is not None:
        (tmp_path / "plan.json").write_text(json.dumps(changes))
        argv[1] = str(tmp_path / "plan.json")
    done = subprocess.run(
        [sys.executable, "-", *argv],
        input=matrix_script(scaffolded),
        capture_output=True,
        text=True,
        env={"MAX_WAVES": "6", "MAX_LEGS": str(max_legs)},
        check=False,
    )
    outputs = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        outputs[key] = json.loads(value)
    return done.returncode, outputs, done.stderr


def node(id_: str, wave: int) -> dict[str, Any]:
    kind, _, name = id_.partition(":")
    return {"id": id_, "kind": kind, "name": name, "wave": wave, "dependsOn": []}


GRAPH = {
    "nodes": [
        node("stack:pool-shared", 0),
        node("cedar:platform", 0),
        node("stack:tenant-acme", 1),
        node("stack:tenant-globex", 1),
        node("sql:pool-shared", 1),
        node("tenant:globex", 2),
        node("acl:globex", 3),
    ],
    "waves": [[], [], [], []],
    "edges": [],
}


def test_a_first_deployment_applies_every_node(scaffolded: Path, tmp_path: Path) -> None:
    code, out, _ = legs(scaffolded, tmp_path, GRAPH, None)
    assert code == 0
    assert out == {
        "wave0": [
            {"id": "wave0-00", "name": "pool-shared", "nodes": "stack:pool-shared"},
            {"id": "wave0-01", "name": "databases, roles and ACLs", "nodes": "cedar:platform"},
        ],
        "wave1": [
            {"id": "wave1-00", "name": "tenant-acme", "nodes": "stack:tenant-acme"},
            {"id": "wave1-01", "name": "tenant-globex", "nodes": "stack:tenant-globex"},
            {"id": "wave1-02", "name": "databases, roles and ACLs", "nodes": "sql:pool-shared"},
        ],
        "wave2": [
            {"id": "wave2-00", "name": "databases, roles and ACLs", "nodes": "tenant:globex"}
        ],
        "wave3": [{"id": "wave3-00", "name": "databases, roles and ACLs", "nodes": "acl:globex"}],
        "wave4": [],
        "wave5": [],
        "removed": [],
    }


def test_a_change_applies_the_changed_nodes_and_what_follows_them(
    scaffolded: Path, tmp_path: Path
) -> None:
    changes = {
        "nodes": {
            "stack:tenant-globex": {"change": "changed", "files": []},
            "tenant:initech": {"change": "removed", "files": []},
        },
        "downstream": ["acl:globex"],
    }
    code, out, _ = legs(scaffolded, tmp_path, GRAPH, changes)
    assert code == 0
    assert out["wave0"] == out["wave2"] == out["wave4"] == []
    assert out["wave1"] == [
        {"id": "wave1-00", "name": "tenant-globex", "nodes": "stack:tenant-globex"}
    ]
    assert out["wave3"] == [
        {"id": "wave3-00", "name": "databases, roles and ACLs", "nodes": "acl:globex"}
    ]
    assert out["removed"] == [
        {"id": "teardown-00", "name": "what left the output", "nodes": "tenant:initech"}
    ]


def test_a_module_change_applies_its_stacks_and_no_leg_for_the_module(
    scaffolded: Path, tmp_path: Path
) -> None:
    graph = {**GRAPH, "nodes": [*GRAPH["nodes"], node("module:aws-pooled-shared-limited", 0)]}
    changes = {
        "nodes": {
            "module:aws-pooled-shared-limited": {"change": "changed", "files": []},
            "module:aws-silo-idle-blocked": {"change": "removed", "files": []},
        },
        "downstream": ["stack:tenant-acme", "stack:tenant-globex"],
    }
    code, out, _ = legs(scaffolded, tmp_path, graph, changes)
    assert code == 0
    assert out["wave0"] == []
    assert [leg["nodes"] for leg in out["wave1"]] == ["stack:tenant-acme", "stack:tenant-globex"]
    assert out["removed"] == []


def test_many_stacks_share_at_most_max_legs_runners(scaffolded: Path, tmp_path: Path) -> None:
    stacks = [node(f"stack:tenant-t{n:02d}", 1) for n in range(25)]
    graph = {**GRAPH, "nodes": [*stacks, node("sql:pool-shared", 1)]}
    code, out, _ = legs(scaffolded, tmp_path, graph, None, max_legs=5)
    assert code == 0
    wave = out["wave1"]
    assert len(wave) == 5
    assert [leg["name"] for leg in wave] == [
        "7 stacks",
        "6 stacks",
        "6 stacks",
        "6 stacks",
        "databases, roles and ACLs",
    ]
    applied = sorted(n for leg in wave[:4] for n in leg["nodes"].split())
    assert applied == sorted(s["id"] for s in stacks)


def test_more_waves_than_jobs_is_refused(scaffolded: Path, tmp_path: Path) -> None:
    graph = {**GRAPH, "waves": [[]] * 7}
    code, out, err = legs(scaffolded, tmp_path, graph, None)
    assert (code, out) == (1, {})
    assert err == (
        "::error::the graph has 7 waves; this workflow applies 6: run `paybill init --update .` "
        "and commit\n"
    )
