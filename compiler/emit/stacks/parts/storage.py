"""S3 buckets that are never public, always versioned and encrypted, owned by the account, and
reachable over TLS only.

* The data bucket is encrypted with the stack's key (the `Encryption` aspect fills it in) and
  logs every request to a log bucket. Replaced and deleted object versions are kept for
  `NONCURRENT_DAYS`, long enough to undo a mistake, and then expire; current objects never
  expire (they are the tenant's data).
* The log bucket (pool and silo stacks) receives the S3 access logs of the stack's buckets
  and of its bridge tenants' (`S3_ACCESS_LOGS_PREFIX/<stack>/`) and the VPC flow logs
  (`AWSLogs/<account>/`). Only S3's logging service and the log delivery service may write
  there, and only for this account's buckets and networks. S3 delivers access logs only to
  buckets with S3-managed keys, so it is the one bucket not encrypted with the stack's key;
  its objects expire after `LOG_DAYS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compiler.emit.stacks.builder import StackBuilder, Statement
from compiler.emit.stacks.cdk import Resource

NONCURRENT_DAYS = 90
LOG_DAYS = 400  # a year and a bit of audit trail
LOG_NONCURRENT_DAYS = 30
UNFINISHED_UPLOAD_DAYS = 7
S3_ACCESS_LOGS_PREFIX = "s3-access-logs/"
LOGGING_SERVICE = "logging.s3"
LOG_DELIVERY_SERVICE = "delivery.logs"


def bucket(
    b: StackBuilder, *, bucket_key: bool, log_bucket: str, after: Resource | None = None
) -> Resource:
    """The stack's data bucket, named `<platform>-<stack>-<account id>`; its access logs go to
    `log_bucket` (a name, or a reference to one), once `after` (the log bucket's policy, when
    in the same stack) lets S3 write there: S3 checks that when logging is turned on.

    `bucket_key` trades per-object KMS calls for cost. A pool bucket turns it off: with it
    on, S3 encrypts under the bucket's ARN instead of each object's, and the per-tenant
    prefix could no longer be part of the key's encryption context.
    """
    base = b.values.need("bucket").bucket_base_name
    data, _ = _bucket(b, "bucket", base, {"bucket_key_enabled": bucket_key}, lambda arn: [])
    b.add(
        "bucket_logging",
        "aws_s3_bucket_logging",
        {
            "bucket": data.ref("id"),
            "target_bucket": log_bucket,
            "target_prefix": f"{S3_ACCESS_LOGS_PREFIX}{b.name}/",
        },
        depends_on=[after] if after is not None else [],
    )
    _lifecycle(b, "bucket", data, expire_days=None, noncurrent_days=NONCURRENT_DAYS)
    return data


def log_bucket(b: StackBuilder) -> tuple[Resource, Resource]:
    """The stack's log bucket, `<platform>-<stack>-logs-<account id>`: S3 access logs from
    buckets of this account, flow logs from this account's log delivery, nothing else."""
    account = ("StringEquals", "aws:SourceAccount", [b.account_id])
    flow_logs_source = ("ArnLike", "aws:SourceArn", [b.arn("logs", "*")])
    delivery = [b.service_principal(LOG_DELIVERY_SERVICE)]

    def statements(arn: str) -> list[Statement]:
        return [
            # Any key: the bucket names no tenant, so it cannot list their prefixes.
            Statement(
                "S3AccessLogs",
                ["s3:PutObject"],
                [f"{arn}/*"],
                principals={"Service": [b.service_principal(LOGGING_SERVICE)]},
                conditions=[account],
            ),
            Statement(
                "FlowLogsWrite",
                ["s3:PutObject"],
                [f"{arn}/AWSLogs/{b.account_id}/*"],
                principals={"Service": delivery},
                conditions=[
                    account,
                    ("StringEquals", "s3:x-amz-acl", ["bucket-owner-full-control"]),
                    flow_logs_source,
                ],
            ),
            Statement(
                "FlowLogsCheckBucket",
                ["s3:GetBucketAcl", "s3:ListBucket"],
                [arn],
                principals={"Service": delivery},
                conditions=[account, flow_logs_source],
            ),
        ]

    base = b.values.need("network").log_bucket_base_name
    logs, policy = _bucket(b, "log_bucket", base, {"bucket_key_enabled": False}, statements)
    _lifecycle(b, "log_bucket", logs, expire_days=LOG_DAYS, noncurrent_days=LOG_NONCURRENT_DAYS)
    return logs, policy


def _bucket(
    b: StackBuilder,
    id: str,
    base_name: str,
    encryption: dict[str, Any],
    statements: Callable[[str], list[Statement]],
) -> tuple[Resource, Resource]:
    """A bucket named `<base_name>-<account id>` (the base is cut to fit: a value) and its
    companions; `statements(arn)` are added to its TLS-only policy. Returns the bucket and
    its policy."""
    data = b.add(id, "aws_s3_bucket", {"bucket": f"{base_name}-{b.account_id}"})
    name = data.ref("id")
    b.add(
        f"{id}_versioning",
        "aws_s3_bucket_versioning",
        {"bucket": name, "versioning_configuration": [{"status": "Enabled"}]},
    )
    b.add(
        f"{id}_encryption",
        "aws_s3_bucket_server_side_encryption_configuration",
        {"bucket": name, "rule": [encryption]},
    )
    public_access = b.add(
        f"{id}_public_access",
        "aws_s3_bucket_public_access_block",
        {
            "bucket": name,
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
    )
    b.add(
        f"{id}_ownership",
        "aws_s3_bucket_ownership_controls",
        {"bucket": name, "rule": [{"object_ownership": "BucketOwnerEnforced"}]},
    )
    document = b.policy(
        f"{id}_policy_document",
        [
            Statement(
                "DenyInsecureTransport",
                ["s3:*"],
                [data.ref("arn"), f"{data.ref('arn')}/*"],
                principals={"AWS": ["*"]},  # everyone, as "*" (the same principal)
                conditions=[("Bool", "aws:SecureTransport", ["false"])],
                effect="Deny",
            ),
            *statements(data.ref("arn")),
        ],
    )
    # S3 refuses a bucket policy while the public access block is still being put in place.
    policy = b.add(
        f"{id}_policy",
        "aws_s3_bucket_policy",
        {"bucket": name, "policy": document},
        depends_on=[public_access],
    )
    return data, policy


def _lifecycle(
    b: StackBuilder, id: str, data: Resource, *, expire_days: int | None, noncurrent_days: int
) -> None:
    rule: dict[str, Any] = {
        "id": "expire-old-versions" if expire_days is None else "expire-logs",
        "status": "Enabled",
        "filter": [{}],
        "noncurrent_version_expiration": [{"noncurrent_days": noncurrent_days}],
        "abort_incomplete_multipart_upload": [{"days_after_initiation": UNFINISHED_UPLOAD_DAYS}],
    }
    if expire_days is not None:
        rule["expiration"] = [{"days": expire_days}]
    b.add(
        f"{id}_lifecycle",
        "aws_s3_bucket_lifecycle_configuration",
        {"bucket": data.ref("id"), "rule": [rule]},
    )
