"""A platform team's repository for the operate tests: spec/ and its compiled generated/ in
git, branches for pull requests, and the `paybill` command run as CI runs it."""

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

from compiler.records import Confirm, NodeRecord
from tests.conftest import SPEC
from tests.support.tools import REPO

PLATFORM = """\
apiVersion: paybill.dev/v1
kind: Platform
metadata: {name: walkthrough}
spec:
  cloud: aws
  regions: [eu-central-1]
  stateBackend: {type: local}
  database: {name: walkthrough, tenantColumn: tenant_id}
  pools:
    - name: eu-shared
      region: eu-central-1
      network: {cidr: 10.10.0.0/16}
      database: {engine: postgres, version: "15", instanceClass: db.t4g.medium, storageGb: 20}
  siloNetworks: {cidr: 10.64.0.0/10, prefixLength: 20}
"""


def tenant(
    name: str,
    plan: str,
    *,
    pool: str | None = "eu-shared",
    state: str = "active",
    subscription: str = "active",
    extra: str = "",
) -> str:
    pool_line = f"  pool: {pool}\n" if pool else ""
    return (
        "apiVersion: paybill.dev/v1\nkind: Tenant\n"
        f"metadata: {{name: {name}}}\nspec:\n  displayName: {name.title()}\n"
        f"  plan: {plan}\n  region: eu-central-1\n{pool_line}  state: {state}\n"
        f"  subscription: {{status: {subscription}}}\n{extra}"
    )


def tenant_record(name: str, confirm: Confirm) -> NodeRecord:
    """A tenant's node record with what its spec confirms (all the guard reads of it)."""
    return NodeRecord(
        node=f"tenant:{name}",
        kind="tenant",
        name=name,
        depends_on=(),
        wave=0,
        input_digest="",
        artifacts=(),
        confirm=confirm,
    )


# A pooled, a bridge and a silo tenant: every isolation model, three database instances.
TENANTS = {
    "alpha": tenant("alpha", "starter"),
    "bravo": tenant("bravo", "pro"),
    "charlie": tenant("charlie", "enterprise", pool=None),
}


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n{self.out}\n{self.err}"


@dataclass
class Repository:
    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, tenants: Mapping[str, str] = TENANTS) -> Repository:
        """spec/ (the plans, tables, tools, agents and workflows of this project's spec, one
        pool, the given tenants) compiled and committed on `main`."""
        spec = root / "spec"
        shutil.copytree(SPEC, spec, ignore=shutil.ignore_patterns("tenants"))
        (spec / "platform.yaml").write_text(PLATFORM)
        (spec / "tenants").mkdir()
        for name, text in tenants.items():
            (spec / "tenants" / f"{name}.yaml").write_text(text)
        repo = cls(root)
        repo.git("init", "-q", "-b", "main")
        (root / ".gitignore").write_text(".paybill/\nplan/\ndrift/\n")
        repo.commit("a platform with three tenants")
        return repo

    def git(self, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Platform Team",
            "GIT_AUTHOR_EMAIL": "platform@example.invalid",
            "GIT_COMMITTER_NAME": "Platform Team",
            "GIT_COMMITTER_EMAIL": "platform@example.invalid",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def paybill(self, *args: str, env: Mapping[str, str] | None = None) -> Run:
        """`paybill ARGS` in the repository, as a CI step runs it."""
        environment = {**os.environ, **self.env, **(env or {})}
        environment["PYTHONPATH"] = str(REPO)
        done = subprocess.run(
            [sys.executable, "-m", "compiler", *args],
            cwd=self.root,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def write(self, path: str, text: str) -> None:
        target = self.root / "spec" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def edit(self, path: str, old: str, new: str) -> None:
        target = self.root / "spec" / path
        text = target.read_text()
        assert old in text, (path, old)
        target.write_text(text.replace(old, new, 1))

    def commit(self, message: str) -> None:
        """Compile spec/ into generated/ and commit both, as a pull request does."""
        compiled = self.paybill("compile", "spec", "--out", "generated")
        assert compiled.code == 0, compiled
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def plan_json(self, folder: str = "plan") -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / folder / "plan.json").read_text())
        return data
