"""The stack's KMS key: everything the stack stores at rest is encrypted with it (see the
`Encryption` aspect), and CloudWatch Logs may use it for the stack's log group only."""

from __future__ import annotations

from compiler.emit.stacks.builder import StackBuilder, Statement
from compiler.emit.stacks.cdk import Resource


def log_group_name(b: StackBuilder) -> str:
    return f"/paybill/{b.platform.name}/{b.name}"


def kms_key(b: StackBuilder) -> Resource:
    """A rotating customer managed key with an alias; becomes the stack's key."""
    logs_arn = b.arn("logs", f"log-group:{log_group_name(b)}")
    policy = b.policy(
        "key_policy",
        [
            Statement(
                "AccountAdministersKey",
                ["kms:*"],
                ["*"],  # in a key policy, "*" is the key itself
                principals={"AWS": [f"arn:{b.partition}:iam::{b.account_id}:root"]},
            ),
            Statement(
                "LogsEncryptStackLogGroup",
                [
                    "kms:Decrypt*",
                    "kms:Describe*",
                    "kms:Encrypt*",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                ["*"],
                principals={"Service": [f"logs.{b.region}.{b.dns_suffix}"]},
                conditions=[("ArnEquals", "kms:EncryptionContext:aws:logs:arn", [logs_arn])],
            ),
        ],
    )
    key = b.add(
        "key",
        "aws_kms_key",
        {
            "description": f"{b.platform.name} {b.name}: data at rest",
            "enable_key_rotation": True,
            "policy": policy,
        },
    )
    b.add(
        "key_alias",
        "aws_kms_alias",
        {"name": f"alias/{b.platform.name}/{b.name}", "target_key_id": key.ref("key_id")},
    )
    b.key_arn = key.ref("arn")
    return key
