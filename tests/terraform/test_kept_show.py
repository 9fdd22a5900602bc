"""A saved plan's `show -json` is kept when the plan is made, and read back instead of
running terraform again, for exactly the plan file it was made from (`terraform.show`)."""

from __future__ import annotations

import json
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compiler.terraform import Completed, Terraform, WorkingCopy
from compiler.terraform.show import kept_file


def document(*addresses: str) -> str:
    changes = [
        {
            "address": address,
            "mode": "managed",
            "type": "aws_s3_bucket",
            "name": address.rpartition(".")[2],
            "change": {"actions": ["create"], "before": None, "after": {}},
        }
        for address in addresses
    ]
    return json.dumps({"format_version": "1.2", "applyable": True, "resource_changes": changes})


@dataclass
class FakePlanner:
    """`plan` writes `plan_bytes` to its -out file; `show` answers `shown`."""

    plan_bytes: bytes = b"plan one"
    shown: str = field(default_factory=lambda: document("aws_s3_bucket.one"))
    calls: list[str] = field(default_factory=list)

    def run(
        self, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float | None
    ) -> Completed:
        self.calls.append(args[0])
        if args[0] == "plan":
            out = next(a for a in args if a.startswith("-out="))
            Path(out.removeprefix("-out=")).write_bytes(self.plan_bytes)
            return Completed(tuple(args), 2, "", "")
        assert args[0] == "show", args
        return Completed(tuple(args), 0, self.shown, "")


def test_a_saved_plan_is_shown_once(copy: WorkingCopy, tmp_path: Path) -> None:
    fake = FakePlanner()
    tf = Terraform(fake)
    out = tmp_path / "plans" / "stacks" / "tenant-acme" / "plan.tfplan"
    planned = tf.plan(copy, out=out)
    again = tf.show(copy, out)
    assert fake.calls == ["plan", "show"]
    assert [r.address for r in again.resources] == ["aws_s3_bucket.one"]
    assert (again.file, again.changed) == (planned.file, planned.changed)
    assert stat.S_IMODE(kept_file(out).stat().st_mode) == 0o600


def test_a_plan_file_made_again_is_shown_again(copy: WorkingCopy, tmp_path: Path) -> None:
    fake = FakePlanner()
    tf = Terraform(fake)
    out = tmp_path / "plan.tfplan"
    tf.plan(copy, out=out)
    # The file replaced by other bytes (another plan, a copy from elsewhere): not what the
    # kept JSON was made from.
    out.write_bytes(b"plan two")
    fake.shown = document("aws_s3_bucket.two")
    again = tf.show(copy, out)
    assert fake.calls == ["plan", "show", "show"]
    assert [r.address for r in again.resources] == ["aws_s3_bucket.two"]


@pytest.mark.parametrize(
    "kept",
    [
        "not json",
        json.dumps({"version": 1, "planSha256": "0" * 64, "show": {}}),
        json.dumps({"version": 99, "planSha256": None, "show": {}}),
    ],
)
def test_kept_json_that_does_not_match_is_not_trusted(
    copy: WorkingCopy, tmp_path: Path, kept: str
) -> None:
    fake = FakePlanner()
    out = tmp_path / "plan.tfplan"
    out.write_bytes(fake.plan_bytes)
    kept_file(out).write_text(kept)
    plan = Terraform(fake).show(copy, out)
    assert fake.calls == ["show"]
    assert [r.address for r in plan.resources] == ["aws_s3_bucket.one"]


def test_kept_json_of_these_bytes_that_is_unreadable_is_shown_again(
    copy: WorkingCopy, tmp_path: Path
) -> None:
    fake = FakePlanner()
    tf = Terraform(fake)
    out = tmp_path / "plan.tfplan"
    tf.plan(copy, out=out)
    body = json.loads(kept_file(out).read_text())
    kept_file(out).write_text(json.dumps({**body, "show": {"format_version": "9.0"}}))
    plan = tf.show(copy, out)
    assert fake.calls == ["plan", "show", "show"]
    assert [r.address for r in plan.resources] == ["aws_s3_bucket.one"]


def test_a_plan_read_back_keeps_nothing(copy: WorkingCopy, tmp_path: Path) -> None:
    """Only `plan` keeps the JSON: showing some other plan file writes nothing beside it."""
    fake = FakePlanner()
    out = tmp_path / "plan.tfplan"
    out.write_bytes(fake.plan_bytes)
    Terraform(fake).show(copy, out)
    assert not kept_file(out).exists()


@dataclass
class NothingToDo(FakePlanner):
    """A plan that exits 0 under -detailed-exitcode: nothing to change, no drift."""

    def run(
        self, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float | None
    ) -> Completed:
        done = super().run(args, cwd, env, timeout)
        return Completed(done.args, 0, done.stdout, done.stderr) if args[0] == "plan" else done


def test_a_plan_that_changes_nothing_is_never_shown(copy: WorkingCopy, tmp_path: Path) -> None:
    """Exit 0 says there is nothing to list: no `show` (seconds of the provider's CPU), when
    it is made or when it is read back for the apply of a reviewed plan."""
    fake = NothingToDo()
    tf = Terraform(fake)
    out = tmp_path / "plan.tfplan"
    planned = tf.plan(copy, out=out)
    again = tf.show(copy, out)
    assert fake.calls == ["plan"]
    for plan in (planned, again):
        assert (plan.changed, plan.resources, plan.drift, plan.outputs, plan.moved) == (
            False,
            (),
            (),
            (),
            (),
        )
    # Other bytes in the file: not the plan that changed nothing, so it is shown.
    out.write_bytes(b"plan two")
    assert [r.address for r in tf.show(copy, out).resources] == ["aws_s3_bucket.one"]
    assert fake.calls == ["plan", "show"]
