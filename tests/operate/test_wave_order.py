"""How `apply` runs one wave: its SQL targets converge while its stacks run, and its largest
stacks start first (the repository's own `generated/`, with the stack and SQL steps
replaced by recorders: nothing runs terraform or connects to a database)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from compiler.errors import PaybillError
from compiler.operate import applying
from compiler.operate.applying import Applier, ApplyOptions
from compiler.operate.dsns import Dsns
from compiler.operate.sources import FolderSource
from compiler.operate.stack_apply import StackRun
from compiler.operate.stacks import longest_first
from compiler.records import read_records
from compiler.terraform import Subprocess, Terraform, Workspace
from compiler.terraform.executor import BACKGROUND_NICENESS
from tests.support.tools import REPO

GENERATED = REPO / "generated"
BRIDGES = {"tenant-globex", "tenant-wayne"}  # spec/'s bridge tenants: a database each
# How long a converge waits to see a stack of its wave start: without the overlap it never
# does, and the test fails after this long.
OVERLAP_WAIT = 5.0


def applier(tmp_path: Path, jobs: int) -> Applier:
    options = ApplyOptions(generated=GENERATED, jobs=jobs, workdir=tmp_path, dsns=Dsns())
    return Applier(options, read_records(GENERATED))


def second_wave(run: Applier) -> list[str]:
    """The pools' SQL targets and the stacks that read the pools' outputs."""
    return run.graph.waves()[1]


class Recorder:
    """Stands in for `apply_stack` and `converge`: records the order things start in."""

    def __init__(self, converge_waits_for_a_stack: bool = False, fail: str = "") -> None:
        self.started: list[str] = []
        self.niceness: dict[str, int] = {}  # stack -> the niceness its terraform runs at
        self.stack_started = threading.Event()
        self.converge_saw_a_stack: list[bool] = []
        self.waits = converge_waits_for_a_stack
        self.fail = fail
        self.lock = threading.Lock()

    def apply_stack(self, run: StackRun, stack: str) -> str:
        with self.lock:
            self.started.append(stack)
            executor = run.terraform.executor
            assert isinstance(executor, Subprocess)
            self.niceness[stack] = executor.niceness
        self.stack_started.set()
        return "applied (recorded)"

    def converge(
        self, generated: Path, target: str, dsns: Dsns, outputs: object
    ) -> tuple[bool, str]:
        if self.waits:
            self.converge_saw_a_stack.append(self.stack_started.wait(OVERLAP_WAIT))
        if target == self.fail:
            raise PaybillError("cannot connect")
        return True, f"{target}: converged (recorded)"


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Recorder:
    found = Recorder()
    monkeypatch.setattr(applying, "apply_stack", found.apply_stack)
    monkeypatch.setattr(applying, "converge", found.converge)
    run = StackRun(
        terraform=Terraform(Subprocess("terraform")),
        workspace=Workspace(tmp_path / "work"),
        override=None,
        head=lambda path: None,
        base=None,
        head_records={},
        base_records={},
    )
    monkeypatch.setattr(Applier, "stacks", lambda self: run)
    return found


def test_the_largest_stacks_of_a_wave_start_first(tmp_path: Path, recorder: Recorder) -> None:
    run = applier(tmp_path, jobs=1)
    wave = second_wave(run)
    assert run.run_wave(wave)
    stacks = sorted(n.partition(":")[2] for n in wave if n.startswith("stack:"))
    assert len(stacks) == 7
    assert set(stacks) > BRIDGES
    # One at a time, the two bridge tenants (29 resources each) go before the five pooled
    # tenants (5 each), although by name tenant-wayne comes last.
    assert set(recorder.started[:2]) == BRIDGES
    assert sorted(recorder.started) == stacks


@pytest.mark.parametrize("cores", [1, 2, 8])
def test_the_largest_stacks_of_a_wave_run_at_full_priority_one_per_core(
    tmp_path: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch, cores: int
) -> None:
    """The rest of the wave runs in the background: the scheduler gives the stacks that end
    the wave (a database each) the cores while they plan and start."""
    monkeypatch.setattr(applying, "_cores", lambda: cores)
    run = applier(tmp_path, jobs=12)
    assert run.run_wave(second_wave(run))
    foreground = {s for s, n in recorder.niceness.items() if n == 0}
    background = {s for s, n in recorder.niceness.items() if n == BACKGROUND_NICENESS}
    assert len(recorder.niceness) == 7
    assert foreground | background == set(recorder.niceness)
    if cores == 1:
        assert len(foreground) == 1
        assert foreground < BRIDGES
    elif cores == 2:
        assert foreground == BRIDGES
    else:
        assert background == set()


def test_a_waves_converges_run_while_its_stacks_run(tmp_path: Path, recorder: Recorder) -> None:
    recorder.waits = True
    run = applier(tmp_path, jobs=4)
    wave = second_wave(run)
    assert run.run_wave(wave)
    targets = [n for n in wave if n.startswith("sql:")]
    assert len(recorder.converge_saw_a_stack) == len(targets) == 4
    assert all(recorder.converge_saw_a_stack), "a converge ran before every stack of its wave"
    for node in targets:
        entry = run.journal.entries[node]
        assert (entry.outcome, entry.message) == (
            "applied",
            f"{node.partition(':')[2]}: converged (recorded)",
        )


def test_a_failed_converge_fails_its_sql_node_and_the_wave_but_not_the_stacks(
    tmp_path: Path, recorder: Recorder
) -> None:
    recorder.fail = "pool-eu-shared"
    run = applier(tmp_path, jobs=4)
    wave = second_wave(run)
    assert not run.run_wave(wave)
    failed = run.journal.entries["sql:pool-eu-shared"]
    assert (failed.outcome, failed.message) == ("failed", "pool-eu-shared: cannot connect")
    assert run.journal.entries["sql:pool-us-shared"].outcome == "applied"
    assert all(run.journal.entries[n].outcome == "applied" for n in wave if "stack:" in n)


def test_longest_first_counts_the_resources_of_a_stack_and_its_modules() -> None:
    read = FolderSource(GENERATED).read
    order = longest_first(["tenant-hooli", "tenant-wayne", "pool-eu-shared", "nowhere"], read)
    assert order == ["pool-eu-shared", "tenant-wayne", "tenant-hooli", "nowhere"]
