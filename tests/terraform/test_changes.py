"""Reading `terraform show -json` into typed plans: actions, data-bearing resources, drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler.terraform import Action, Plan
from compiler.terraform.changes import UnknownPlanFormat, read_plan


def change(address: str, actions: list[str], **extra: Any) -> dict[str, Any]:
    type_, name = address.split(".")[-2:]
    mode = "data" if address.startswith("data.") else "managed"
    body: dict[str, Any] = {"actions": actions, "before": None, "after": None}
    if "replace_paths" in extra:
        body["replace_paths"] = extra.pop("replace_paths")
    return {"address": address, "mode": mode, "type": type_, "name": name, "change": body, **extra}


def plan_of(**document: Any) -> Plan:
    return read_plan(
        "tenant-acme", Path("plan.tfplan"), True, {"format_version": "1.2", **document}
    )


def test_actions_are_read_and_counted_and_no_ops_and_reads_are_left_out() -> None:
    plan = plan_of(
        resource_changes=[
            change("aws_s3_bucket.bucket", ["no-op"]),
            change("data.aws_iam_policy_document.doc", ["read"]),
            change("aws_iam_role.role", ["create"]),
            change("aws_iam_role_policy.policy", ["update"]),
            change(
                "aws_db_instance.database",
                ["delete", "create"],
                action_reason="replace_because_cannot_update",
                replace_paths=[["db_subnet_group_name"]],
            ),
            change("aws_kms_key.key", ["create", "delete"]),
            change("aws_dynamodb_table.locks", ["delete"]),
            change("aws_sqs_queue.jobs", ["forget"]),
        ]
    )
    assert [(r.address, r.action) for r in plan.resources] == [
        ("aws_db_instance.database", Action.REPLACE),
        ("aws_dynamodb_table.locks", Action.DELETE),
        ("aws_iam_role.role", Action.CREATE),
        ("aws_iam_role_policy.policy", Action.UPDATE),
        ("aws_kms_key.key", Action.REPLACE),
        ("aws_sqs_queue.jobs", Action.FORGET),
    ]
    assert plan.counts == {
        Action.CREATE: 1,
        Action.UPDATE: 1,
        Action.REPLACE: 2,
        Action.DELETE: 1,
        Action.FORGET: 1,
    }
    database = plan.resources[0]
    assert database.reason == "replace_because_cannot_update"
    assert database.replace_paths == ("db_subnet_group_name",)


def test_destructive_means_deleting_or_replacing_a_data_bearing_resource() -> None:
    plan = plan_of(
        resource_changes=[
            change("aws_db_instance.database", ["delete", "create"]),
            change("aws_s3_bucket.bucket", ["update"]),
            change("aws_kms_key.key", ["delete"]),
            change("aws_iam_role.role", ["delete"]),
            change("module.data.aws_dynamodb_table.locks", ["create", "delete"]),
        ]
    )
    assert [r.address for r in plan.destructive] == [
        "aws_db_instance.database",
        "aws_kms_key.key",
        "module.data.aws_dynamodb_table.locks",
    ]
    assert [r.data_bearing for r in plan.resources] == [True, False, True, True, True]


def drifted(address: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    entry = change(address, ["update"])
    entry["change"].update(before=before, after=after)
    return entry


DRIFT = [
    # The plan reads the role's id, not its inline policies (a separate resource's).
    drifted(
        "aws_iam_role.role", {"id": "r", "inline_policy": []}, {"id": "r", "inline_policy": [1]}
    ),
    # The plan depends on this tag: the drift explains a planned change elsewhere.
    drifted("aws_s3_bucket.bucket", {"tags": {"plan": "pro"}}, {"tags": {"plan": "free"}}),
    # Drift on a resource the plan corrects shows as its planned change, not as drift.
    drifted("aws_iam_role_policy.policy", {"policy": "a"}, {"policy": "b"}),
    drifted(
        "aws_db_instance.database", {"latest_restorable_time": "1"}, {"latest_restorable_time": "2"}
    ),
]
RELEVANT = [
    {"resource": "aws_iam_role.role", "attribute": ["id"]},
    {"resource": "aws_s3_bucket.bucket", "attribute": ["tags", "plan"]},
    {"resource": "aws_security_group.group", "attribute": ["ingress", 0]},
]


def test_drift_is_what_terraform_reports_and_outputs_are_kept_apart() -> None:
    plan = plan_of(
        resource_changes=[change("aws_iam_role_policy.policy", ["update"])],
        resource_drift=DRIFT,
        relevant_attributes=RELEVANT,
        output_changes={
            "role_arn": {"actions": ["no-op"]},
            "bucket_name": {"actions": ["create"]},
        },
    )
    assert [r.address for r in plan.drift] == ["aws_s3_bucket.bucket"]
    assert [r.address for r in plan.resources] == ["aws_iam_role_policy.policy"]
    assert plan.outputs == ("bucket_name",)


def test_a_refresh_only_plan_reports_every_drift() -> None:
    document = {"format_version": "1.2", "resource_drift": DRIFT, "relevant_attributes": None}
    plan = read_plan("pool-eu", Path("p"), True, document, refresh_only=True)
    assert [r.address for r in plan.drift] == [
        "aws_db_instance.database",
        "aws_iam_role.role",
        "aws_iam_role_policy.policy",
        "aws_s3_bucket.bucket",
    ]
    assert read_plan("pool-eu", Path("p"), True, document).drift == ()


def test_path_of_a_replacement_names_list_positions() -> None:
    plan = plan_of(
        resource_changes=[
            change("aws_ecs_service.service", ["delete", "create"], replace_paths=[["a", 0, "b"]])
        ]
    )
    assert plan.resources[0].replace_paths == ("a[0].b",)


def test_an_empty_plan_has_nothing() -> None:
    plan = read_plan("pool-eu", Path("p"), False, {"format_version": "1.2"})
    assert (plan.changed, plan.resources, plan.drift, plan.outputs, plan.counts) == (
        False,
        (),
        (),
        (),
        {},
    )


def test_unknown_actions_and_formats_raise_instead_of_guessing() -> None:
    with pytest.raises(UnknownPlanFormat, match=r"unknown resource actions \['teleport'\]"):
        plan_of(resource_changes=[change("aws_s3_bucket.b", ["teleport"])])
    with pytest.raises(UnknownPlanFormat, match=r"plan format 2.0 \(expected 1.x\)"):
        read_plan("s", Path("p"), False, {"format_version": "2.0"})
