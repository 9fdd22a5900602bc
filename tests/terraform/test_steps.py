"""Each step's command line and how its exit codes and messages are read, with a stand-in
for the binary (the executor interface exists for this)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compiler.errors import EnvironmentProblem
from compiler.terraform import (
    Completed,
    StalePlan,
    StateLocked,
    Subprocess,
    Terraform,
    TerraformError,
    TerraformMissing,
    TimedOut,
    WorkingCopy,
    find_terraform,
)
from compiler.terraform.executor import BACKGROUND_NICENESS, session_niceness

EMPTY_PLAN = json.dumps({"format_version": "1.2", "resource_changes": []})


@dataclass
class Scripted:
    """Answers each command with the next scripted result; records what it was asked."""

    answers: list[Completed]
    calls: list[tuple[list[str], Path, dict[str, str], float | None]] = field(default_factory=list)

    def run(
        self, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float | None
    ) -> Completed:
        self.calls.append((list(args), cwd, dict(env), timeout))
        return self.answers.pop(0)


def answer(code: int = 0, stdout: str = "", stderr: str = "", timed_out: bool = False) -> Completed:
    return Completed((), code, stdout, stderr, timed_out)


def test_init_plan_show_apply_output_command_lines(copy: WorkingCopy) -> None:
    outputs = {"bucket": {"value": "b-1", "sensitive": False, "type": "string"}}
    fake = Scripted(
        [
            answer(),
            answer(2),
            answer(stdout=EMPTY_PLAN),
            answer(),
            answer(stdout=json.dumps(outputs)),
        ]
    )
    tf = Terraform(fake, lock_timeout=90, timeout=600)
    tf.init(copy)
    plan = tf.plan(copy, variables={"app_image": "registry.example/app@sha256:0"})
    tf.apply(copy, plan)
    result = tf.output(copy)

    file = str(copy.plan_file)
    assert [call[0] for call in fake.calls] == [
        ["init", "-no-color", "-input=false", "-lock-timeout=90s"],
        [
            "plan",
            "-no-color",
            "-input=false",
            "-detailed-exitcode",
            f"-out={file}",
            "-lock-timeout=90s",
        ],
        ["show", "-no-color", "-json", file],
        ["apply", "-no-color", "-input=false", "-lock-timeout=90s", file],
        ["output", "-no-color", "-json"],
    ]
    assert {call[1] for call in fake.calls} == {copy.path}
    assert {call[3] for call in fake.calls} == {600}
    plan_env = fake.calls[1][2]
    assert plan_env["TF_VAR_app_image"] == "registry.example/app@sha256:0"
    assert "TF_VAR_app_image" not in fake.calls[0][2]
    assert plan_env["TF_CLI_CONFIG_FILE"] == copy.env["TF_CLI_CONFIG_FILE"]
    assert (plan.stack, plan.changed, plan.file) == ("tenant-acme", True, copy.plan_file)
    assert result["bucket"].value == "b-1"
    assert "b-1" not in repr(result)


def test_plan_options_for_drift_and_teardown(copy: WorkingCopy, tmp_path: Path) -> None:
    fake = Scripted([answer(0), answer(stdout=EMPTY_PLAN)])
    out = tmp_path / "plans" / "tenant-acme.tfplan"
    plan = Terraform(fake).plan(copy, out=out, refresh_only=True, destroy=True)
    assert fake.calls[0][0][-3:] == ["-lock-timeout=60s", "-refresh-only", "-destroy"]
    assert f"-out={out}" in fake.calls[0][0]
    assert out.parent.is_dir()
    assert (plan.changed, plan.file) == (False, out)


def test_a_failure_carries_terraforms_message_and_is_an_environment_problem(
    copy: WorkingCopy,
) -> None:
    stderr = (
        "\nError: reading RDS DB Instance (ledgerline-tenant-acme): couldn't find resource\n\n"
        "  with aws_db_instance.database,\n"
    )
    fake = Scripted([answer(1, stdout="aws_db_instance.database: Creating...", stderr=stderr)])
    with pytest.raises(TerraformError) as raised:
        Terraform(fake).plan(copy)
    error = raised.value
    assert isinstance(error, EnvironmentProblem)
    assert error.exit_code == 3
    assert str(error) == (
        "terraform plan failed for stack tenant-acme (exit 1):\n"
        "Error: reading RDS DB Instance (ledgerline-tenant-acme): couldn't find resource\n\n"
        "  with aws_db_instance.database,"
    )


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        ("Error: Error acquiring the state lock\n\nLock Info: ...", StateLocked),
        ("Error: Saved plan is stale\n\nThe given plan file can no longer be applied", StalePlan),
    ],
)
def test_lock_and_stale_plan_failures_have_their_own_classes(
    copy: WorkingCopy, stderr: str, kind: type[TerraformError]
) -> None:
    with pytest.raises(kind):
        Terraform(Scripted([answer(1, stderr=stderr)])).apply(copy, copy.plan_file)


def test_a_timeout_is_reported_as_such(copy: WorkingCopy) -> None:
    fake = Scripted([answer(130, stderr="Interrupt received.", timed_out=True)])
    with pytest.raises(TimedOut, match=r"(?s)terraform apply failed .*\ninterrupted after 5 s"):
        Terraform(fake, timeout=5).apply(copy, copy.plan_file)


def test_an_unreadable_plan_is_an_error_not_a_guess(copy: WorkingCopy) -> None:
    fake = Scripted([answer(2), answer(stdout='{"format_version": "9.0"}')])
    with pytest.raises(
        TerraformError, match=r"plan format 9\.0 \(expected 1\.x\); this terraform is newer"
    ):
        Terraform(fake).plan(copy)


def test_a_missing_binary_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, copy: WorkingCopy
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("PAYBILL_TERRAFORM", raising=False)
    with pytest.raises(
        TerraformMissing, match=r"terraform not found \('terraform' on PATH\): install"
    ):
        find_terraform()
    monkeypatch.setenv("PAYBILL_TERRAFORM", "/nowhere/terraform")
    with pytest.raises(TerraformMissing, match="PAYBILL_TERRAFORM=/nowhere/terraform") as raised:
        Terraform()
    assert raised.value.exit_code == 3
    with pytest.raises(TerraformMissing):
        Terraform(Subprocess("/nowhere/terraform")).init(copy)


def test_init_merges_a_backend_settings_file(copy: WorkingCopy, tmp_path: Path) -> None:
    fake = Scripted([answer()])
    Terraform(fake).init(copy, backend_config=tmp_path / "emulator.tfbackend")
    assert fake.calls[0][0][-2:] == [
        f"-backend-config={tmp_path / 'emulator.tfbackend'}",
        "-reconfigure",
    ]


def test_a_plan_saved_earlier_is_read_back_with_terraforms_applyable(
    copy: WorkingCopy, tmp_path: Path
) -> None:
    saved = json.dumps({"format_version": "1.2", "applyable": True, "resource_changes": []})
    fake = Scripted([answer(stdout=saved), answer(stdout=EMPTY_PLAN)])
    tf = Terraform(fake)
    assert tf.show(copy, tmp_path / "a.tfplan").changed
    assert not tf.show(copy, tmp_path / "b.tfplan").changed
    assert fake.calls[0][0] == ["show", "-no-color", "-json", str(tmp_path / "a.tfplan")]


def test_a_saved_plan_named_relative_to_the_caller_is_found_from_the_working_copy(
    copy: WorkingCopy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Terraform runs in the working copy, so `--plan plan` must reach it as an absolute path."""
    monkeypatch.chdir(tmp_path)
    fake = Scripted([answer(stdout=EMPTY_PLAN), answer()])
    tf = Terraform(fake)
    tf.show(copy, Path("plan/stacks/tenant-acme/plan.tfplan"))
    tf.apply(copy, Path("plan/stacks/tenant-acme/plan.tfplan"))
    absolute = str(tmp_path / "plan/stacks/tenant-acme/plan.tfplan")
    assert fake.calls[0][0][-1] == absolute
    assert fake.calls[1][0][-1] == absolute


def test_terraform_in_the_background_runs_with_its_plugins_at_a_lower_priority(
    tmp_path: Path,
) -> None:
    """A wave's small stacks run in the background (compiler/operate/applying.py): terraform
    and the provider it starts (here a child started a moment later, as terraform starts
    its providers) get the lower priority; the foreground keeps the caller's."""
    binary = tmp_path / "terraform"
    binary.write_text(
        "#!/bin/sh\n"
        "sleep 0.3\n"  # terraform reads its configuration before it starts a provider
        'sh -c \'echo "$(cut -d" " -f19 /proc/$$/stat)"; cat /proc/$$/autogroup\' 2>/dev/null\n'
    )
    binary.chmod(0o755)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    runner = Subprocess(str(binary))
    foreground = runner.run(["plan"], tmp_path, dict(os.environ), 30)
    background = runner.in_background().run(["plan"], tmp_path, dict(os.environ), 30)
    assert int(foreground.stdout.split()[0]) == own
    assert int(background.stdout.split()[0]) == min(19, own + BACKGROUND_NICENESS)
    # Where the kernel schedules by session (terraform's is its own), the session's too.
    own_group = session_niceness(Path("/proc/self/autogroup"))
    if own_group is not None:
        assert foreground.stdout.split()[-1] == str(own_group)
        assert background.stdout.split()[-1] == str(min(19, own_group + BACKGROUND_NICENESS))
    assert Terraform(runner).in_background().executor == runner.in_background()


@pytest.mark.parametrize(
    ("text", "niceness"),
    [
        ("/autogroup-1517 nice 0\n", 0),
        ("/autogroup-3 nice -5\n", -5),
        ("/autogroup-3 nice 19", 19),
        ("", None),  # a sandboxed kernel's empty file
        ("nice\n", None),
        ("/autogroup-3 nice\n", None),
        (None, None),  # no file: the kernel does not group by session
    ],
)
def test_a_session_niceness_is_read_only_where_the_kernel_states_one(
    tmp_path: Path, text: str | None, niceness: int | None
) -> None:
    autogroup = tmp_path / "autogroup"
    if text is not None:
        autogroup.write_text(text)
    assert session_niceness(autogroup) == niceness


def test_terraform_runs_with_a_lazier_garbage_collector_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    """GOGC=400 for terraform and its providers (a quarter less CPU), or the caller's."""
    binary = tmp_path / "terraform"
    binary.write_text('#!/bin/sh\necho "${GOGC:-unset}"\n')
    binary.chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if k != "GOGC"}
    runner = Subprocess(str(binary))
    assert runner.run(["plan"], tmp_path, environment, 30).stdout.strip() == "400"
    mine = runner.run(["plan"], tmp_path, {**environment, "GOGC": "100"}, 30)
    assert mine.stdout.strip() == "100"
