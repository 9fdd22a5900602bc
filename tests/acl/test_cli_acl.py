"""`paybill acl check`: what it prints and its exit codes (0 allow, 1 deny, 2 usage, 3 env)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main
from tests.acl.compiled import compile_acl
from tests.conftest import SPEC
from tests.support.tools import REPO


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_acl(SPEC, tmp_path_factory.mktemp("generated"))


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["acl", "check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_allow_prints_what_the_step_may_do_and_exits_0(
    generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = check(
        capsys,
        "acme",
        "collections",
        "invoice-reminders",
        "mark-sent",
        "--generated",
        str(generated),
    )
    assert (code, err) == (0, "")
    assert out == (
        "allow: agent 'collections' may run step 'mark-sent' of workflow 'invoice-reminders' in "
        "tenant 'acme': update reminder_sent_at of billing.invoices where id, at most 500 rows\n"
    )


def test_deny_prints_the_reason_and_exits_1(
    generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = check(
        capsys, "initech", "reconciler", "refund-approval", "refund", "--generated", str(generated)
    )
    assert (code, err) == (1, "")
    assert out == (
        "deny: agent 'reconciler' may not act in tenant 'initech': plan 'starter' does not grant "
        "feature 'reconciliation'; plan 'starter' does not grant feature 'refunds'\n"
    )


def test_a_step_waiting_for_approval_is_denied_until_approved(
    generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("wayne", "reconciler", "refund-approval", "refund", "--generated", str(generated))
    code, out, _ = check(capsys, *args)
    assert code == 1
    assert out == (
        "deny: agent 'reconciler' in tenant 'wayne', workflow 'refund-approval', step 'refund': "
        "the step needs human approval first (once a person has approved, check again with "
        "--approved)\n"
    )
    code, out, _ = check(capsys, *args, "--approved")
    assert code == 0
    assert out == (
        "allow: agent 'reconciler' may run step 'refund' of workflow 'refund-approval' in "
        "tenant 'wayne': call tool refund-issue (destructive); needs human approval\n"
    )


def test_a_deleted_tenant_is_denied(generated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(
        capsys,
        "soylent",
        "collections",
        "invoice-reminders",
        "notify",
        "--generated",
        str(generated),
    )
    assert code == 1
    assert out == (
        f"deny: tenant 'soylent' has no ACL in {(generated / 'acl').as_posix()}: deleted and "
        "unknown tenants allow nothing\n"
    )


def test_missing_arguments_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["acl", "check", "acme", "collections", "invoice-reminders"])
    assert caught.value.code == 2
    assert capsys.readouterr().err.endswith(
        "paybill acl check: error: the following arguments are required: STEP\n"
    )


def test_a_folder_without_acls_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = check(capsys, "acme", "a", "w", "s", "--generated", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == (
        f"paybill: '{tmp_path}' holds no acl/ folder; run 'paybill compile SPEC_DIR --out "
        f"{tmp_path}' first, or point --generated at the compiled output\n"
    )


def test_a_damaged_acl_file_is_an_environment_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "acl").mkdir()
    (tmp_path / "acl" / "acme.json").write_text("[]")
    code, out, err = check(capsys, "acme", "a", "w", "s", "--generated", str(tmp_path))
    assert (code, out) == (3, "")
    assert err == (
        f"paybill: {tmp_path / 'acl' / 'acme.json'}: schemaVersion is None, but this runtime "
        "reads 'paybill.dev/acl/v1' (compile the spec and the runtime with the same paybill); "
        f"compile again with this paybill ('paybill compile SPEC_DIR --out {tmp_path}') or "
        "restore the file from version control\n"
    )


def test_compile_then_check_as_a_user_would(tmp_path: Path) -> None:
    """The installed command, end to end: `paybill compile` writes acl/, `acl check` reads it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = tmp_path / "generated"
    compiled = subprocess.run(
        [sys.executable, "-m", "compiler", "compile", str(SPEC), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "compiler",
            "acl",
            "check",
            "globex",
            "support-triage",
            "ticket-triage",
            "classify",
            "--generated",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "allow: agent 'support-triage' may run step 'classify' of workflow 'ticket-triage' in "
        "tenant 'globex': update priority, category of support.tickets where id, at most 1 row\n"
    )
