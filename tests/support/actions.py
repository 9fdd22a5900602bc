"""Run a GitHub Actions workflow's jobs on this machine, as GitHub would, for tests.

What GitHub does is done here: jobs in the order of `needs`, each job's `if:` with the
status functions, matrices from expressions, reusable workflows of the repository
(`uses: ./.github/workflows/...`), one fresh workspace per job (a clone of the "origin"
repository at the event's commit), `run:` steps with `bash -e` and the environment GitHub
sets (GITHUB_*, RUNNER_TEMP, the files GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STEP_SUMMARY), step
outputs, job outputs.

What only GitHub can do is replaced by recording what it was given (`Run.recorded`):
actions/checkout clones the origin; the setup actions do nothing (the tools are already
here); aws-actions/configure-aws-credentials adds `credentials` (the sandbox's environment)
to the job instead of assuming the role; actions/upload-artifact copies the files into
`Run.artifacts`. `gh` is `tests/support/fake_gh.py`. Jobs run one after another.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.expressions import Expressions

FAKE_GH = Path(__file__).with_name("fake_gh.py")
# Variables of the test's own environment that would change what the steps do.
_DROPPED_PREFIXES = ("GITHUB_", "RUNNER_", "TF_VAR_", "AWS_")
_DROPPED = {"PAYBILL_TF_OVERRIDE", "PAYBILL_DSN_FILE", "PAYBILL_WORKDIR", "PAYBILL_ACL_DIR"}


def load_workflow(path: Path) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return data


@dataclass(frozen=True)
class Event:
    """What triggered the run: `github.event_name`, the commit, the ref and the payload."""

    name: str
    sha: str
    ref: str
    payload: dict[str, Any] = field(default_factory=dict)
    base_ref: str = ""
    head_ref: str = ""


@dataclass
class Recorded:
    """A step that only GitHub can run, and what it was given."""

    job: str
    action: str
    inputs: dict[str, Any]


@dataclass
class StepRun:
    name: str
    outcome: str  # success | failure | skipped
    log: str = ""


@dataclass
class JobRun:
    job: str  # "waves", "wave1/apply (tenant-acme)", ...
    result: str  # success | failure | skipped
    outputs: dict[str, str] = field(default_factory=dict)
    steps: list[StepRun] = field(default_factory=list)
    matrix: dict[str, Any] | None = None

    def log(self) -> str:
        return "\n".join(f"--- {s.name} ({s.outcome})\n{s.log}" for s in self.steps)


@dataclass
class Run:
    jobs: list[JobRun] = field(default_factory=list)
    recorded: list[Recorded] = field(default_factory=list)
    artifacts: dict[str, Path] = field(default_factory=dict)

    def job(self, name: str) -> JobRun:
        return next(j for j in self.jobs if j.job == name)

    def failures(self) -> str:
        return "\n\n".join(f"== {j.job}\n{j.log()}" for j in self.jobs if j.result == "failure")


@dataclass
class Runner:
    """Runs workflows of the repository `origin` (a bare repository: what GitHub holds)."""

    origin: Path
    root: Path  # workspaces, temp folders, artifacts
    repository: str = "example/platform"
    variables: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)
    tools: list[Path] = field(default_factory=list)  # folders put first on PATH
    run_id: int = 0

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.bin = self.root / "bin"
        self.bin.mkdir(exist_ok=True)
        gh = self.bin / "gh"
        gh.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_GH}" "$@"\n')
        gh.chmod(0o755)
        self.gh_state = self.root / "github.json"

    def github(self) -> dict[str, Any]:
        """The fake GitHub's issues, comments and the calls made to it."""
        if not self.gh_state.is_file():
            return {"issues": {}, "comments": [], "calls": []}
        data: dict[str, Any] = json.loads(self.gh_state.read_text())
        return data

    def run(self, workflow: str, event: Event) -> Run:
        self.run_id += 1
        result = Run()
        expressions = Expressions()
        try:
            checkout = self.root / "source"
            shutil.rmtree(checkout, ignore_errors=True)
            _git("clone", "--quiet", str(self.origin), str(checkout))
            _git("-C", str(checkout), "checkout", "--quiet", "--detach", event.sha)
            context = _Context(self, event, result, expressions, checkout)
            context.workflow(checkout / workflow, inputs={}, prefix="")
        finally:
            expressions.close()
        return result


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout


@dataclass
class _Context:
    runner: Runner
    event: Event
    result: Run
    expressions: Expressions
    source: Path  # the event's commit, to read workflow files from

    def github(self, workspace: Path) -> dict[str, Any]:
        owner = self.runner.repository.split("/")[0]
        return {
            "event_name": self.event.name,
            "event": self.event.payload,
            "sha": self.event.sha,
            "ref": self.event.ref,
            "base_ref": self.event.base_ref,
            "head_ref": self.event.head_ref,
            "repository": self.runner.repository,
            "repository_owner": owner,
            "run_id": str(self.runner.run_id),
            "run_attempt": "1",
            "server_url": "https://github.com",
            "workspace": str(workspace),
            "token": "github-token-for-tests",
            "actor": "tester",
        }

    # -- workflows and jobs --------------------------------------------------------------------
    def workflow(self, path: Path, inputs: dict[str, Any], prefix: str) -> str:
        """Run every job of a workflow; the combined result."""
        data = load_workflow(path)
        env = data.get("env", {})
        results: dict[str, JobRun] = {}
        needs_of = {name: _list(job.get("needs")) for name, job in data["jobs"].items()}
        for name in _ordered(needs_of):
            job = data["jobs"][name]
            results[name] = self.job(f"{prefix}{name}", job, env, inputs, needs_of, results, name)
        outcomes = {r.result for r in results.values()}
        return "failure" if "failure" in outcomes else "success"

    def job(
        self,
        label: str,
        job: dict[str, Any],
        workflow_env: dict[str, Any],
        inputs: dict[str, Any],
        needs_of: dict[str, list[str]],
        results: dict[str, JobRun],
        name: str,
    ) -> JobRun:
        ancestors = _ancestors(name, needs_of)
        status = {
            "success": all(results[a].result == "success" for a in ancestors),
            "failure": any(results[a].result == "failure" for a in ancestors),
            "cancelled": False,
            "always": True,
        }
        needs = {
            n: {"result": results[n].result, "outputs": results[n].outputs} for n in needs_of[name]
        }
        base = {
            "github": self.github(Path()),
            "needs": needs,
            "inputs": inputs,
            "vars": self.runner.variables,
            "secrets": {"GITHUB_TOKEN": "github-token-for-tests", **self.runner.secrets},
        }
        if not self.expressions.condition(job.get("if"), base, status):
            run = JobRun(label, "skipped")
            self.result.jobs.append(run)
            return run
        if "uses" in job:
            called = self.source / job["uses"].removeprefix("./")
            given = self.expressions.render(job.get("with", {}), base)
            outcome = self.workflow(called, given, prefix=f"{label}/")
            run = JobRun(label, outcome)
            self.result.jobs.append(run)
            return run
        matrix = job.get("strategy", {}).get("matrix")
        if matrix is None:
            return self.steps(label, job, workflow_env, base, None)
        legs = self.expressions.render(matrix, base)
        assert set(legs) == {"include"}, f"{label}: only matrix.include is supported here"
        runs = [self.steps(label, job, workflow_env, base, leg) for leg in legs["include"]]
        outcome = "failure" if any(r.result == "failure" for r in runs) else "success"
        return JobRun(label, outcome)

    def steps(
        self,
        label: str,
        job: dict[str, Any],
        workflow_env: dict[str, Any],
        base: dict[str, Any],
        matrix: dict[str, Any] | None,
    ) -> JobRun:
        number = len(self.result.jobs)
        folder = self.runner.root / "jobs" / f"{self.runner.run_id}-{number}"
        workspace, temp = folder / "workspace", folder / "temp"
        temp.mkdir(parents=True)
        context = {**base, "github": self.github(workspace), "matrix": matrix or {}}
        context["runner"] = {"os": "Linux", "temp": str(temp)}
        context["env"] = {}
        env: dict[str, str] = {}
        for layer in (workflow_env, job.get("env", {})):
            context["env"] = env
            env = {**env, **self.expressions.environment(layer, context)}
        if matrix is not None and "name" in job:
            label = f"{label} ({self.expressions.render(job['name'], context)})"
        run = JobRun(label, "success", matrix=matrix)
        self.result.jobs.append(run)
        steps: dict[str, Any] = {}
        files = {n: temp / f"{n}.txt" for n in ("output", "env", "path", "summary")}
        event_path = temp / "event.json"
        event_path.write_text(json.dumps(self.event.payload))
        dynamic: dict[str, str] = {}
        for index, step in enumerate(job["steps"]):
            title = step.get("name") or step.get("uses") or step["run"].splitlines()[0]
            context.update(steps=steps, env={**env, **dynamic})
            failed = run.result == "failure"
            status = {"success": not failed, "failure": failed, "cancelled": False, "always": True}
            if not self.expressions.condition(step.get("if"), context, status):
                run.steps.append(StepRun(title, "skipped"))
                continue
            for path in files.values():
                path.write_text("")
            step_env = self.expressions.environment(step.get("env", {}), context)
            process_env = self.environment(workspace, temp, files, event_path)
            process_env.update({**env, **dynamic, **step_env})
            if "uses" in step:
                outcome, log = self.action(label, step, context, workspace, dynamic)
            else:
                script = self.expressions.render(step["run"], context)
                outcome, log = self.shell(script, workspace, temp, index, process_env)
            dynamic.update(_key_values(files["env"].read_text()))
            if step.get("id"):
                steps[step["id"]] = {
                    "outputs": _key_values(files["output"].read_text()),
                    "outcome": outcome,
                    "conclusion": outcome,
                }
            run.steps.append(StepRun(title, outcome, log))
            if outcome == "failure":
                run.result = "failure"
        context.update(steps=steps)
        run.outputs = self.expressions.environment(job.get("outputs", {}), context)
        return run

    def environment(
        self, workspace: Path, temp: Path, files: Mapping[str, Path], event_path: Path
    ) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED
        }
        tools = [str(p) for p in (self.runner.bin, *self.runner.tools)]
        env["PATH"] = os.pathsep.join([*tools, str(Path(sys.executable).parent), env["PATH"]])
        env.update(
            CI="true",
            GITHUB_ACTIONS="true",
            GITHUB_EVENT_NAME=self.event.name,
            GITHUB_EVENT_PATH=str(event_path),
            GITHUB_SHA=self.event.sha,
            GITHUB_REF=self.event.ref,
            GITHUB_BASE_REF=self.event.base_ref,
            GITHUB_HEAD_REF=self.event.head_ref,
            GITHUB_REPOSITORY=self.runner.repository,
            GITHUB_REPOSITORY_OWNER=self.runner.repository.split("/")[0],
            GITHUB_RUN_ID=str(self.runner.run_id),
            GITHUB_RUN_ATTEMPT="1",
            GITHUB_SERVER_URL="https://github.com",
            GITHUB_WORKSPACE=str(workspace),
            GITHUB_OUTPUT=str(files["output"]),
            GITHUB_ENV=str(files["env"]),
            GITHUB_PATH=str(files["path"]),
            GITHUB_STEP_SUMMARY=str(files["summary"]),
            RUNNER_OS="Linux",
            RUNNER_TEMP=str(temp),
            FAKE_GH_STATE=str(self.runner.gh_state),
            PIP_NO_INDEX="1",  # paybill is installed already: never download it again
        )
        return env

    def shell(
        self, script: str, workspace: Path, temp: Path, index: int, env: dict[str, str]
    ) -> tuple[str, str]:
        path = temp / f"step-{index}.sh"
        path.write_text(script)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", str(path)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        log = done.stdout + done.stderr
        return ("success" if done.returncode == 0 else "failure"), log

    def action(
        self,
        label: str,
        step: dict[str, Any],
        context: dict[str, Any],
        workspace: Path,
        dynamic: dict[str, str],
    ) -> tuple[str, str]:
        name = step["uses"].split("@")[0]
        inputs = self.expressions.render(step.get("with", {}), context)
        self.result.recorded.append(Recorded(label, name, inputs))
        if name == "actions/checkout":
            _git("clone", "--quiet", str(self.runner.origin), str(workspace))
            _git("-C", str(workspace), "checkout", "--quiet", "--detach", self.event.sha)
            return "success", f"cloned {self.event.sha}"
        if name in ("actions/setup-python", "actions/setup-node", "hashicorp/setup-terraform"):
            return "success", "already on this machine"
        if name == "aws-actions/configure-aws-credentials":
            dynamic.update(self.runner.credentials)
            return "success", "credentials of the sandbox"
        if name == "actions/upload-artifact":
            source = workspace / str(inputs["path"])
            target = self.runner.root / "artifacts" / str(self.runner.run_id) / str(inputs["name"])
            if source.is_dir():
                shutil.copytree(source, target)
            elif source.is_file():
                target.mkdir(parents=True)
                shutil.copy(source, target)
            else:
                return "success", f"no files at {inputs['path']}"
            self.result.artifacts[str(inputs["name"])] = target
            return "success", f"kept {inputs['path']}"
        return "failure", f"{name} cannot run here"


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _ordered(needs: Mapping[str, list[str]]) -> list[str]:
    done: list[str] = []
    while len(done) < len(needs):
        ready = [n for n in needs if n not in done and all(d in done for d in needs[n])]
        assert ready, f"a cycle in needs: {needs}"
        done.append(ready[0])
    return done


def _ancestors(name: str, needs: Mapping[str, list[str]]) -> set[str]:
    out: set[str] = set()
    todo = list(needs[name])
    while todo:
        current = todo.pop()
        if current not in out:
            out.add(current)
            todo += needs[current]
    return out


def _key_values(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV: `key=value` lines and `key<<DELIMITER` blocks."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, _, delimiter = line.partition("<<")
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            out[key] = "\n".join(block)
        elif "=" in line:
            key, _, value = line.partition("=")
            out[key] = value
    return out
