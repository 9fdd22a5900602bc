"""Merging is a property of the output: two pull requests that change different tenants change
disjoint files, `git merge` joins them without a conflict, and the merged `generated/` is
exactly what compiling the merged spec produces (`paybill compile --check` passes)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.emit.stacks import synth
from compiler.pipeline import compile_spec
from tests.conftest import SPEC
from tests.support.tools import require_binary


def tenant(name: str, plan: str, region: str, pool: str | None, status: str = "active") -> str:
    return (
        "apiVersion: paybill.dev/v1\nkind: Tenant\n"
        f"metadata: {{name: {name}}}\nspec:\n  displayName: {name.title()}\n  plan: {plan}\n"
        f"  region: {region}\n" + (f"  pool: {pool}\n" if pool else "") + "  state: active\n"
        f"  subscription: {{status: {status}}}\n"
    )


def edit(old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


@dataclass(frozen=True)
class Change:
    """One pull request's change, to one tenant."""

    tenant: str
    what: str
    file: str
    apply: Callable[[str], str] | None  # None: the file is removed

    def __str__(self) -> str:
        return f"{self.what} {self.tenant}"


CHANGES = [
    *(
        Change(name, "add", f"tenants/{name}.yaml", lambda _, t=text: t)
        for name, text in (
            ("nova", tenant("nova", "starter", "eu-central-1", "eu-shared")),
            ("orbit", tenant("orbit", "starter", "eu-central-1", "eu-shared")),
            ("pulse", tenant("pulse", "pro", "eu-central-1", "eu-shared")),
            ("quill", tenant("quill", "enterprise", "us-east-1", None)),
            ("rune", tenant("rune", "free", "us-east-1", "us-shared", "trialing")),
        )
    ),
    Change("soylent", "remove", "tenants/soylent.yaml", None),
    Change(
        "stark",
        "remove with confirmation",
        "tenants/stark.yaml",
        edit("state: offboarding", "state: deleted\n  confirmDataDeletion: stark"),
    ),
    Change("initech", "change plan", "tenants/initech.yaml", edit("plan: starter", "plan: free")),
    Change("vandelay", "change plan", "tenants/vandelay.yaml", edit("plan: starter", "plan: free")),
    Change("initech", "suspend", "tenants/initech.yaml", edit("state: active", "state: suspended")),
    Change("globex", "suspend", "tenants/globex.yaml", edit("state: active", "state: suspended")),
    Change("acme", "suspend", "tenants/acme.yaml", edit("state: active", "state: suspended")),
    Change(
        "umbrella", "reactivate", "tenants/umbrella.yaml", edit("state: suspended", "state: active")
    ),
    Change(
        "piedpiper", "activate", "tenants/piedpiper.yaml", edit("state: pending", "state: active")
    ),
    Change("wayne", "change an override", "tenants/wayne.yaml", edit("seats: 250", "seats: 300")),
    Change(
        "vandelay",
        "change an override",
        "tenants/vandelay.yaml",
        edit("agentRunsPerDay: 1000", "agentRunsPerDay: 10"),
    ),
    Change(
        "globex",
        "let its database go (a module of its own)",
        "tenants/globex.yaml",
        edit(
            "subscription: {status: active}",
            "subscription: {status: active}\n  confirmDestroy: [aws_db_instance.database]",
        ),
    ),
    Change(
        "acme",
        "add an override",
        "tenants/acme.yaml",
        edit(
            "subscription: {status: active}",
            "subscription: {status: active}\n  overrides: {limits: {seats: 80}}",
        ),
    ),
]


class Repository:
    """A git repository holding spec/ and its compiled generated/, one branch per change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.branches: dict[int, str] = {}
        shutil.copytree(SPEC, root / "spec")
        self.git("init", "-q", "-b", "main")
        self.compile()
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "base")

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = dict(
            os.environ,
            GIT_AUTHOR_NAME="t",
            GIT_AUTHOR_EMAIL="t@example.com",
            GIT_COMMITTER_NAME="t",
            GIT_COMMITTER_EMAIL="t@example.com",
            GIT_CONFIG_GLOBAL="/dev/null",
            GIT_CONFIG_NOSYSTEM="1",
        )
        return subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=False
        )

    def compile(self, check: bool = False) -> list[str]:
        result = compile_spec(self.root / "spec", self.root / "generated", check=check)
        return [c.render() for c in result.changes]

    def branch(self, index: int) -> str:
        """The branch of CHANGES[index], made on first use: the change and its output."""
        if index not in self.branches:
            change = CHANGES[index]
            name = f"change-{index}"
            assert self.git("checkout", "-q", "-B", name, "main").returncode == 0
            path = self.root / "spec" / change.file
            if change.apply is None:
                path.unlink()
            else:
                path.write_text(change.apply(path.read_text() if path.exists() else ""))
            self.compile()
            self.git("add", "-A")
            assert self.git("commit", "-q", "-m", str(change)).returncode == 0
            self.branches[index] = name
        return self.branches[index]


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Repository:
    require_binary("git", "install git")
    os.environ.setdefault(synth.JOBS_VARIABLE, "1")  # synthesize in this process: one Node.js
    return Repository(tmp_path_factory.mktemp("merge") / "repo")


pairs = st.tuples(st.integers(0, len(CHANGES) - 1), st.integers(0, len(CHANGES) - 1)).filter(
    lambda p: CHANGES[p[0]].tenant != CHANGES[p[1]].tenant
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(pair=pairs)
def test_changes_to_different_tenants_merge_cleanly_into_the_compiled_merge(
    repository: Repository, pair: tuple[int, int]
) -> None:
    first, second = (repository.branch(i) for i in pair)
    repo = repository
    assert repo.git("checkout", "-q", "-B", "merged", first).returncode == 0
    merged = repo.git("merge", "-q", "--no-edit", second)
    conflicts = repo.git("diff", "--name-only", "--diff-filter=U").stdout.split()
    assert (merged.returncode, conflicts) == (0, []), (
        f"{CHANGES[pair[0]]} + {CHANGES[pair[1]]}: {merged.stdout}{merged.stderr}"
    )
    assert repo.compile(check=True) == [], f"{CHANGES[pair[0]]} + {CHANGES[pair[1]]}"
    repo.git("reset", "-q", "--hard")
