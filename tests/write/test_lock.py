"""One writer at a time: a second compile waits for the first, or gives up with a message;
compiles racing into one folder always leave exactly one complete compile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.pipeline import compile_spec
from compiler.write.lock import locked
from tests.conftest import SPEC
from tests.support.tools import REPO


def test_a_second_compile_gives_up_after_its_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "generated"
    out.mkdir()
    with locked(out, timeout=0):
        assert main(["compile", str(SPEC), "--out", "generated", "--lock-timeout", "0.2"]) == 3
    assert capsys.readouterr().err == (
        "paybill: another paybill compile is writing into 'generated' and did not finish "
        "within 0.2 s; wait for it and run again, or raise the wait with "
        "PAYBILL_LOCK_TIMEOUT=SECONDS\n"
    )
    assert list(out.iterdir()) == []


def test_the_wait_comes_from_the_environment_when_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "generated"
    out.mkdir()
    monkeypatch.setenv("PAYBILL_LOCK_TIMEOUT", "soon")
    assert main(["compile", str(SPEC), "--out", str(out)]) == 3
    assert capsys.readouterr().err == (
        "paybill: PAYBILL_LOCK_TIMEOUT='soon' is not a number of seconds; set it to 0 or more\n"
    )
    monkeypatch.setenv("PAYBILL_LOCK_TIMEOUT", "0")
    with locked(out, timeout=0):
        assert main(["compile", str(SPEC), "--out", str(out)]) == 3
    assert "did not finish within 0 s" in capsys.readouterr().err


def variant(root: Path, name: str, edit: tuple[str, str, str] | None) -> Path:
    """A copy of spec/ with one edit (file, old, new)."""
    folder = root / name
    shutil.copytree(SPEC, folder)
    if edit is not None:
        path, old, new = edit
        text = (folder / path).read_text()
        assert old in text
        (folder / path).write_text(text.replace(old, new))
    return folder


EDITS: list[tuple[str, str, str] | None] = [
    None,
    ("tenants/initech.yaml", "state: active", "state: suspended"),
    ("workflows/invoice-reminders.yaml", "maxRowsPerStep: 500", "maxRowsPerStep: 400"),
]


@pytest.mark.slow
@pytest.mark.parametrize("racers", [2, 3])
def test_compiles_racing_into_one_folder_leave_one_complete_compile(
    tmp_path: Path, racers: int
) -> None:
    specs = [variant(tmp_path, f"spec{i}", EDITS[i]) for i in range(racers)]
    out = tmp_path / "generated"
    env = dict(os.environ, PAYBILL_LOCK_TIMEOUT="120")
    for _ in range(2):  # from nothing, then over a folder the last round left
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "compiler", "compile", str(spec), "--out", str(out)],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for spec in specs
        ]
        said = [run.communicate(timeout=300) for run in runs]
        codes = [run.returncode for run in runs]
        assert codes == [0] * racers, [err for _, err in said]
        current = [not compile_spec(spec, out, check=True).changes for spec in specs]
        assert current.count(True) == 1, current
