"""This repository's generated stacks applied on the local emulator through the runner:
shared by tests/sandbox/test_stacks.py and benchmarks/emulator_apply.py.

A stack starts as soon as the stacks it depends on (the manifest's `dependsOn`) have
applied, up to `jobs` at a time; a stack whose upstream failed is not started. Each stack
is checked out, initialised, planned, applied from its saved plan and planned again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.terraform import Plan, Terraform, TerraformError, Workspace
from tests.support.tools import REPO

GENERATED = REPO / "generated"
# One stack of each kind from spec/, in as few database stacks as covers the kinds.
KINDS = {
    "pool": "pool-eu-shared",
    "silo": "tenant-acme",
    "pooled": "tenant-initech",
    "bridge": "tenant-wayne",
}
# The stacks' inputs (TF_VAR_*: a stack that does not declare one ignores it).
VARIABLES = {
    "api_backend_url": "https://api.internal.example",
    "app_image": "registry.example/app@sha256:" + "0" * 64,
}


@dataclass
class Outcome:
    """What happened to one stack; `seconds` per step."""

    stack: str
    first: Plan | None = None
    second: Plan | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def dependencies(stacks: Iterable[str], generated: Path = GENERATED) -> dict[str, set[str]]:
    """Each stack's upstream stacks among `stacks`, from the graph's node records
    (`nodes/stack/<stack>.json`, or the `nodes` of an older single manifest)."""
    wanted = set(stacks)
    return {
        stack: {
            d.removeprefix("stack:")
            for d in _node(generated, stack)["dependsOn"]
            if d.removeprefix("stack:") in wanted
        }
        for stack in sorted(wanted)
    }


def _node(generated: Path, stack: str) -> dict[str, Any]:
    record = generated / "nodes" / "stack" / f"{stack}.json"
    if record.is_file():
        found: dict[str, Any] = json.loads(record.read_text())
        return found
    manifest: dict[str, Any] = json.loads((generated / "manifest.json").read_text())
    return dict(manifest["nodes"][f"stack:{stack}"])


def timed(seconds: dict[str, float], name: str, action: Callable[[], Plan | None]) -> Plan | None:
    started = time.monotonic()
    try:
        return action()
    finally:
        seconds[name] = time.monotonic() - started


def deploy(
    tf: Terraform,
    workspace: Workspace,
    stack: str,
    override: Path,
    generated: Path = GENERATED,
    replan: bool = True,
) -> Outcome:
    """Check out, init, plan, apply the saved plan and (with `replan`) plan again."""
    outcome = Outcome(stack)
    s = outcome.seconds
    try:
        copy = workspace.checkout(stack, generated / "stacks" / stack, override)
        timed(s, "init", lambda: tf.init(copy))
        first = timed(s, "plan", lambda: tf.plan(copy, variables=VARIABLES))
        assert first is not None
        outcome.first = first
        timed(s, "apply", lambda: tf.apply(copy, first))
        if replan:
            outcome.second = timed(s, "second plan", lambda: tf.plan(copy, variables=VARIABLES))
    except TerraformError as failed:
        outcome.error = str(failed)
    return outcome


def deploy_all(
    tf: Terraform,
    workspace: Workspace,
    stacks: Iterable[str],
    override: Path,
    jobs: int,
    generated: Path = GENERATED,
    replan: bool = True,
) -> dict[str, Outcome]:
    """Every stack, each once its upstream stacks applied, `jobs` at a time."""
    upstream = dependencies(stacks, generated)
    done: dict[str, Outcome] = {}
    running: dict[Future[Outcome], str] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        while len(done) < len(upstream):
            for stack, needs in upstream.items():
                if stack in done or stack in running.values() or not needs <= done.keys():
                    continue
                failed = sorted(n for n in needs if done[n].error is not None)
                if failed:
                    done[stack] = Outcome(stack, error=f"not started: {', '.join(failed)} failed")
                    continue
                future = pool.submit(deploy, tf, workspace, stack, override, generated, replan)
                running[future] = stack
            if running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    done[running.pop(future)] = future.result()
    return done


def digests(folder: Path) -> Mapping[str, str]:
    """The sha256 of every file under `folder`, to show it was not touched."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
