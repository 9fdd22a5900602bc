"""Shared fixtures: a spec-folder builder, the repository's spec and examples, the session's
PostgreSQL server (`pg`, tests/support/postgres.py) and AWS emulator (`emulator`,
tests/support/emulator.py), one of each per pytest-xdist worker; the order in which workers
take the modules (tests/support/schedule.py)."""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.emulator import emulator
from tests.support.leaks import pytest_configure, pytest_sessionfinish
from tests.support.postgres import pg, postgres_server
from tests.support.schedule import pytest_collection_modifyitems
from tests.support.tools import REPO, in_ci

# One PostgreSQL server and one AWS emulator for each worker's session (each started when a
# test first needs it, stopped at the end of the session).
# Every process the run starts carries a token; one left running at the end fails the run
# (tests/support/leaks.py).
__all__ = [
    "emulator",
    "pg",
    "postgres_server",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_sessionfinish",
]

# In CI, property tests replay the same examples every run: a new random failure there would
# block an unrelated change. Locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if in_ci():
    settings.load_profile("ci")

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(REPO / ".build" / "jsii-cache"))
os.environ.setdefault("CHECKPOINT_DISABLE", "1")
# The modules every test's compile synthesizes, kept for the next compile that needs the
# same module (compiler/emit/stacks/module_cache.py): the suite's own cache, not the user's.
os.environ.setdefault("PAYBILL_MODULE_CACHE", str(REPO / ".build" / "module-cache"))

SPEC = REPO / "spec"
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())
ALL_SPECS = [SPEC, *EXAMPLES]


def _declares_agents(folder: Path) -> bool:
    agent = re.compile(r"^kind: Agent\s*$", re.M)
    return any(agent.search(f.read_text()) for f in sorted(folder.rglob("*.yaml")))


# The specs with agents and workflows, for the tests of what agents may do (the ACL, Cedar,
# row isolation of agent roles): examples/multi-cloud shows clouds and declares none.
AGENT_SPECS = [p for p in ALL_SPECS if _declares_agents(p)]

WriteSpec = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_spec(tmp_path: Path) -> WriteSpec:
    """Write {relative path: YAML text} into a fresh folder (text is dedented)."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "spec"
        for name, text in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"))
        return root

    return write
