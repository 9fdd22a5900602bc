"""How the suite is spread over pytest-xdist's workers (`make pytest`: `-n`, `--dist loadfile`).

Each test module runs whole on one worker, so its module fixtures (a sandbox, a deployment)
are set up once. Workers take modules in the order of the collection, which `order` sets:
the modules that wait the longest first (marked `emulator`: stacks applied on the local AWS
emulator, minutes of the AWS provider's own waits), then `slow`, then those that start a
tool (`terraform`, `postgres`), then the rest. So the long waits start at once, each on a
worker of its own, and the other workers fill the cores meanwhile; there are more workers
than cores because the first ones mostly wait.

Without `-n` (one process) the same order applies; nothing else changes.
"""

from __future__ import annotations

import os

import pytest

# A module weighs what its heaviest test weighs; heavier modules are handed out first.
WEIGHTS = {"emulator": 3, "slow": 2, "terraform": 1, "postgres": 1}


def weight(item: pytest.Item) -> int:
    """A slow test on the session's emulator waits like one marked `emulator`, marked or
    not: a module left unmarked would otherwise start among the last and end the run."""
    marked = max((w for name, w in WEIGHTS.items() if item.get_closest_marker(name)), default=0)
    on_emulator = "emulator" in getattr(item, "fixturenames", ())
    if on_emulator and item.get_closest_marker("slow"):
        return max(marked, WEIGHTS["emulator"])
    return marked


def module_of(item: pytest.Item) -> str:
    """What `--dist loadfile` hands out as one unit: the test's file."""
    return item.nodeid.split("::", 1)[0]


def order(items: list[pytest.Item], workers: int = 0) -> None:
    """Heaviest modules first; each module's tests together and in their own order.

    With `workers`, the lightest modules come right after the first `workers` ones: xdist
    hands each worker one module, then a second at once to a worker whose module has at
    most two tests (a worker holds its last test until it knows what follows), and that
    second module waits behind the first. Behind the walk or the teardown (one test each,
    minutes long), a quick module ends soon after; a slow one would end the run."""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(module_of(item), []).append(item)
    ranked = sorted(modules.values(), key=lambda tests: -max(weight(t) for t in tests))
    light = [m for m in ranked[workers:] if max(weight(t) for t in m) == 0][-workers:]
    if workers > 0 and light:
        rest = [m for m in ranked[workers:] if all(m is not x for x in light)]
        ranked = ranked[:workers] + light + rest
    items[:] = [test for tests in ranked for test in tests]


def worker_count() -> int:
    """How many xdist workers share the run (0 in a run of one process)."""
    try:
        return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    except ValueError:
        return 0


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    order(items, worker_count())
