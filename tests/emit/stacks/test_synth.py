"""Synthesis of shapes in worker processes gives the same bytes as synthesis in this
process."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.emit.stacks import synth
from compiler.emit.stacks.inputs import platform_facts
from compiler.errors import EnvironmentProblem
from compiler.pipeline import validate
from compiler.resolve.shapes import spec_modules


@pytest.mark.slow
def test_workers_build_the_same_bytes_as_this_process(
    behaviour_specs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = validate(behaviour_specs["behaviour-local"])
    modules = spec_modules(spec)
    jobs = [synth.ShapeJob(name, shape, platform_facts(spec)) for name, shape in modules.items()]
    monkeypatch.setenv(synth.JOBS_VARIABLE, "1")
    here = synth.build_all(jobs)
    monkeypatch.setenv(synth.JOBS_VARIABLE, "2")
    monkeypatch.setattr(synth, "SHARE", 4)  # three runs of at most four shapes
    assert synth.build_all(jobs) == here
    assert len(here) == 15
    assert all(b.module and b.template for b in here)


def test_a_failing_worker_is_reported_with_its_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(synth.JOBS_VARIABLE, "2")
    monkeypatch.setattr(synth, "WORKER", "compiler.emit.stacks.no_such_module")
    with pytest.raises(
        RuntimeError,
        match=r"(?s)stack synthesis worker failed \(exit 1\):.*"
        "No module named compiler.emit.stacks.no_such_module",
    ):
        synth.build_all([object(), object()])  # type: ignore[list-item]


def test_small_compiles_stay_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(synth.JOBS_VARIABLE, raising=False)
    assert synth.jobs(synth.PARALLEL_FROM - 1) == 1
    assert synth.jobs(synth.PARALLEL_FROM) >= 1
    monkeypatch.setenv(synth.JOBS_VARIABLE, "3")
    assert synth.jobs(1) == 3


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_jobs_setting_is_reported(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(synth.JOBS_VARIABLE, value)
    with pytest.raises(EnvironmentProblem) as raised:
        synth.jobs(100)
    assert str(raised.value) == (
        f"PAYBILL_JOBS='{value}' is not a number of processes; set it to 1 or more, "
        "or unset it to use every core"
    )


@pytest.mark.parametrize("pythonpath", [None, "", "relative/folder", ":"])
def test_workers_never_import_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pythonpath: str | None
) -> None:
    """A `concurrent.py` where `paybill compile` runs must not run in a worker.

    The worker imports `concurrent.futures` (through synth); `python -m` would put the current
    folder first on sys.path, and so would an empty or relative PYTHONPATH entry.
    """
    marker = tmp_path / "imported"
    (tmp_path / "concurrent.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "raise SystemExit('imported from the current folder')\n"
    )
    (tmp_path / "relative" / "folder").mkdir(parents=True)
    (tmp_path / "relative" / "folder" / "concurrent.py").write_text(
        (tmp_path / "concurrent.py").read_text()
    )
    monkeypatch.chdir(tmp_path)
    if pythonpath is None:
        monkeypatch.delenv("PYTHONPATH", raising=False)
    else:
        monkeypatch.setenv("PYTHONPATH", pythonpath)
    assert synth._run_worker([]) == []
    assert not marker.exists()
