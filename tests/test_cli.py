"""The `validate`, `describe` and `schema` commands: output, exit codes, describe views.

Exit codes: 0 valid, 1 spec errors, 2 usage (bad arguments, missing folder, unknown
KIND/NAME). Describe views of the fixture spec are syrupy snapshots (tests/__snapshots__/),
reviewed like code; the facts a reviewer relies on are also asserted here directly.
"""
# ruff: noqa: E501  (whole messages are compared, one per line)

from __future__ import annotations

import dataclasses
import errno
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion

from compiler.cli import main
from compiler.describe import describe as view
from compiler.pipeline import validate
from compiler.resolve import model
from tests.conftest import ALL_SPECS
from tests.fixtures.specs import build
from tests.support.tools import REPO


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding the fixture spec as `spec/`."""
    monkeypatch.chdir(tmp_path)
    build(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- validate ----------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ALL_SPECS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_bundled_specs_are_valid(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    code, out, err = run(capsys, "validate", str(folder))
    assert (code, err) == (0, "")
    assert out.startswith(f"{folder}: valid — ")


def test_validate_valid(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate") == (
        0,
        "spec: valid — 2 pools, 4 plans, 7 tenants (6 live), 2 tables, 2 tools, 2 agents, 4 workflows\n",
        "",
    )


def test_validate_errors_exit_1(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "spec" / "tenants" / "gamma.yaml").write_text(
        "apiVersion: paybill.dev/v1\nkind: Tenant\nmetadata: {name: gamma}\n"
        "spec:\n  displayName: Gamma\n  plan: basci\n  region: us-east-1\n  pool: us-pool\n"
        "  state: active\n  subscription: {status: active}\n"
    )
    (workdir / "spec" / "tools.yaml").write_text(
        (workdir / "spec" / "tools.yaml").read_text().replace("effect: external", "effect: extern")
    )
    assert run(capsys, "validate", "spec") == (
        1,
        "",
        "spec/tenants/gamma.yaml:6:9: Tenant/gamma spec.plan: unknown plan 'basci' (did you mean 'basic'?)\n"
        "spec/tools.yaml:7:11: Tool/email-send spec.effect: must be 'read', 'write', 'destructive' or 'external', not the text 'extern' (did you mean 'external'?)\n"
        "2 errors found\n",
    )


def test_validate_missing_folder_exit_2(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate", "nowhere") == (
        2,
        "",
        "paybill: spec folder 'nowhere' does not exist or is not a folder\n",
    )


def test_validate_bad_base_exit_2(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate", "spec", "--base", "nowhere") == (
        2,
        "",
        "paybill: --base nowhere: 'spec' is not in a git repository, and there is no folder 'nowhere' either\n",
    )


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validate", "spec", "--no-such-option"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(
        "paybill: error: unrecognized arguments: --no-such-option\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--no-such-option"],
        ["plan", "--jobs", "0"],
        ["drift", "--jobs", "many"],
        ["sql", "drift", "--target", "pool-x"],
    ],
    ids=" ".join,
)
def test_usage_mistakes_of_commands_whose_2_means_changes_exit_1(
    workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Exit 2 of plan, drift and sql drift is "changes" (or drift): a CI job must not read a
    mistyped flag as one."""
    try:
        code = main(argv)
    except SystemExit as exited:
        code = exited.code  # type: ignore[assignment]
    assert code == 1
    assert "paybill" in capsys.readouterr().err


def test_console_script_exit_codes(workdir: Path) -> None:
    """The installed entry point, as CI and users run it."""

    def paybill(*argv: str) -> int:
        command = [sys.executable, "-m", "compiler", *argv]
        return subprocess.run(command, capture_output=True, check=False, cwd=workdir).returncode

    assert paybill("validate", "spec") == 0
    (workdir / "spec" / "broken.yaml").write_text("kind: Nothing\n")
    assert paybill("validate", "spec") == 1
    assert paybill("validate", "nowhere") == 2
    assert paybill("describe") == 2


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "describe", "schema"):
        assert f"    {command}" in out


# -- describe ----------------------------------------------------------------------------

SUBJECTS = [
    "Tenant/alpha",
    "Tenant/beta",
    "Tenant/gamma",
    "Tenant/delta",
    "Tenant/eta",
    "Tenant/zeta",
    "Platform",
    "Pool/eu-pool",
    "Plan/pro",
    "Table/invoices",
    "Tool/refund-issue",
    "Agent/collector",
    "Workflow/reminders",
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_describe_views(
    workdir: Path, capsys: pytest.CaptureFixture[str], snapshot: SnapshotAssertion, subject: str
) -> None:
    code, out, err = run(capsys, "describe", subject, "spec")
    assert (code, err) == (0, "")
    assert out == snapshot


def describe(capsys: pytest.CaptureFixture[str], subject: str) -> Any:
    code, out, _ = run(capsys, "describe", subject, "spec", "--format", "json")
    assert code == 0
    return json.loads(out)


def test_tenant_limits_and_features_after_overrides(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beta = describe(capsys, "Tenant/beta")
    assert beta["limits"] == {
        "seats": 250,  # plan pro: 200, overridden
        "storageGb": 100,
        "apiRequestsPerSecond": "unlimited",  # overridden with null
        "agentRunsPerDay": 1000,
        "agentStepsPerWorkflow": "unlimited",
        "agentRowsPerStep": "unlimited",
    }
    assert beta["overridden"] == {
        "seats": {"plan": 200, "tenant": 250},
        "apiRequestsPerSecond": {"plan": 50, "tenant": "unlimited"},
    }
    gamma = describe(capsys, "Tenant/gamma")
    assert (gamma["isolation"], gamma["pool"], gamma["sqlTarget"]) == (
        "pooled",
        "us-pool",
        "pool-us-pool",
    )
    assert gamma["features"] == ["refunds", "reminders"]
    assert gamma["featuresAddedByOverride"] == ["refunds"]


def test_tenant_agents_and_why_not_others(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beta = describe(capsys, "Tenant/beta")
    assert [(a["agent"], a["workflows"], a["workflowsNotAllowed"]) for a in beta["agents"]] == [
        ("collector", ["reminders"], {"exports": "plan 'pro' does not grant feature 'exports'"}),
        ("refunder", ["refunds"], {}),
    ]
    assert beta["agentsNotPresent"] == {}
    assert beta["workflowsNotRun"] == {
        "digest": "no agent is assigned to it",
        "exports": "plan 'pro' does not grant feature 'exports'",
    }
    eta = describe(capsys, "Tenant/eta")
    assert eta["agents"] == []
    assert eta["agentsNotPresent"] == {
        "collector": "the tenant's overrides set agentRunsPerDay to 0 (plan 'basic' allows 100)",
        "refunder": "plan 'basic' does not grant feature 'refunds'",
    }
    assert eta["workflowsNotRun"] == {
        "digest": "no agent is assigned to it",
        "exports": "plan 'basic' does not grant feature 'exports'",
        "refunds": "plan 'basic' does not grant feature 'refunds'",
        "reminders": "agent collector does not act here; the tenant's overrides set agentRunsPerDay to 0 (plan 'basic' allows 100)",
    }
    zeta = describe(capsys, "Tenant/zeta")
    assert (zeta["stack"], zeta["sqlTarget"], zeta["agents"]) == (None, None, [])
    assert set(zeta["agentsNotPresent"].values()) == {
        "tenant is deleted; agents act only in active tenants"
    }


def _snake_fields() -> set[str]:
    """Every snake_case field name of the resolved model (what must not leak into views)."""
    names: set[str] = set()
    for item in vars(model).values():
        if dataclasses.is_dataclass(item):
            names.update(f.name for f in dataclasses.fields(item) if "_" in f.name.strip("_"))
    return names


def _keys(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys(v)}
    return set()


def test_describe_keys_are_camel_case() -> None:
    """Views speak the DSL's camelCase (`storageGb`), never Python's snake_case."""
    snake = _snake_fields()
    assert {"storage_gb", "memory_mb", "lock_table", "multi_az"} <= snake
    for folder in ALL_SPECS:
        spec = validate(folder)
        subjects = ["Platform"] + [
            f"{kind.capitalize()}/{item.name}"
            for kind in ("pool", "plan", "tenant", "table", "tool", "agent", "workflow")
            for item in getattr(spec, f"{kind}s")
        ]
        for subject in subjects:
            leaked = _keys(json.loads(view(spec, subject, "json"))) & snake
            assert leaked == set(), f"{folder} {subject}"


def test_yaml_and_json_say_the_same(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    as_json = describe(capsys, "Tenant/beta")
    code, out, _ = run(capsys, "describe", "Tenant/beta", "spec")
    assert code == 0
    assert yaml.safe_load(out) == as_json


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("Tenant/gama", "paybill: no Tenant named 'gama' (did you mean 'gamma'?)\n"),
        ("Tenant/nobody", "paybill: no Tenant named 'nobody'\n"),
        (
            "Tennant/gamma",
            "paybill: cannot describe 'Tennant/gamma': write KIND/NAME with KIND one of Platform, Pool, Plan, Tenant, Table, Tool, Agent, Workflow (did you mean 'Tenant'?)\n",
        ),
        (
            "Tenant",
            "paybill: write Tenant/NAME; known: alpha, beta, delta, eta, gamma, omega, zeta\n",
        ),
        ("Platform/other", "paybill: the Platform is named 'fixture', not 'other'\n"),
    ],
)
def test_describe_unknown_subject_exit_2(
    workdir: Path, capsys: pytest.CaptureFixture[str], subject: str, message: str
) -> None:
    assert run(capsys, "describe", subject, "spec") == (2, "", message)


def test_describe_a_broken_spec_exit_1(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "spec" / "broken.yaml").write_text("kind: Tool\n")
    assert run(capsys, "describe", "Tenant/beta", "spec") == (
        1,
        "",
        "spec/broken.yaml:1:1: Tool#1 apiVersion: missing required field 'apiVersion'\n"
        "spec/broken.yaml:1:1: Tool#1 metadata: missing required field 'metadata'\n"
        "spec/broken.yaml:1:1: Tool#1 spec: missing required field 'spec'\n"
        "3 errors found\n",
    )


# -- schema ------------------------------------------------------------------------------


def test_schema_writes_the_committed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "schemas"
    code, out, err = run(capsys, "schema", "--out", str(out_dir))
    assert (code, err) == (0, "")
    names = sorted(p.name for p in (REPO / "schemas").glob("*.json"))
    assert out.splitlines() == [str(out_dir / name) for name in names]
    for name in names:
        assert (out_dir / name).read_bytes() == (REPO / "schemas" / name).read_bytes()


def test_schema_needs_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["schema"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(
        "paybill schema: error: the following arguments are required: --out\n"
    )


def test_schema_out_that_is_a_file_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").write_text("not a folder")
    assert run(capsys, "schema", "--out", str(tmp_path / "taken")) == (
        2,
        "",
        f"paybill: --out {tmp_path}/taken is a file, not a folder; give a folder to write the schemas into (it is created when missing)\n",
    )
    assert run(capsys, "schema", "--out", str(tmp_path / "taken" / "schemas")) == (
        2,
        "",
        f"paybill: --out {tmp_path}/taken/schemas: '{tmp_path}/taken' is a file, not a folder; give a folder to write the schemas into (it is created when missing)\n",
    )


@pytest.mark.parametrize(
    ("number", "strerror", "advice"),
    [
        (
            errno.ENOSPC,
            "No space left on device",
            "free some space on that file system and run the command again",
        ),
        (
            errno.EROFS,
            "Read-only file system",
            "the file system is read-only; choose a writable folder",
        ),
        (
            errno.EACCES,
            "Permission denied",
            "check the permissions of the file and of the folders above it",
        ),
        (
            errno.EIO,
            "Input/output error",
            "check that the path exists and that you may read and write it",
        ),
    ],
)
def test_file_system_trouble_is_exit_3_with_what_to_do(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    number: int,
    strerror: str,
    advice: str,
) -> None:
    def fail(self: Path, data: bytes) -> int:
        raise OSError(number, strerror, str(self))

    monkeypatch.setattr(Path, "write_bytes", fail)
    assert run(capsys, "schema", "--out", str(tmp_path)) == (
        3,
        "",
        f"paybill: cannot use '{tmp_path}/agent.schema.json': {strerror} ({advice})\n",
    )


def test_usage_errors_show_control_characters_escaped(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A subject taken from the command line cannot write raw escapes into a log."""
    assert run(capsys, "describe", "Tenant/x\x1b[2K\r\u202eok", "spec") == (
        2,
        "",
        "paybill: no Tenant named 'x\\x1b[2K\\r\\u202eok'\n",
    )


def with_stdout_closed(cwd: Path, *argv: str) -> tuple[int, bytes]:
    """Run `python -m compiler ARGV` whose reader closed the pipe before it wrote anything
    (so every write meets EPIPE); its exit code and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "compiler", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    return process.wait(), err


@pytest.mark.parametrize(
    "argv",
    [
        ("graph", "spec"),
        ("graph", "spec", "--format", "json"),
        ("describe", "Tenant/alpha", "spec"),
        ("validate", "spec"),
        ("--help",),
    ],
)
def test_a_reader_that_stops_reading_is_not_an_error(workdir: Path, argv: tuple[str, ...]) -> None:
    """`paybill graph spec | head -1`: no traceback, and the command's own exit code."""
    assert with_stdout_closed(workdir, *argv) == (0, b"")


def test_a_reader_that_stops_reading_keeps_a_failing_exit_code(workdir: Path) -> None:
    """`paybill validate | head` on a broken spec still exits 1, errors on stderr."""
    (workdir / "spec" / "broken.yaml").write_text("kind: Tool\n")
    code, err = with_stdout_closed(workdir, "validate", "spec")
    assert code == 1
    assert err.decode().endswith("3 errors found\n")
