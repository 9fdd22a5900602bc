"""An S3 bucket that is never public, always versioned and encrypted with the stack's key
(the `Encryption` aspect fills in the key), owned by the account, and reachable over TLS only.
"""

from __future__ import annotations

from compiler.emit.stacks import naming
from compiler.emit.stacks.builder import StackBuilder, Statement
from compiler.emit.stacks.cdk import Resource


def bucket(b: StackBuilder, *, bucket_key: bool) -> Resource:
    """The stack's data bucket, named `<platform>-<stack>-<account id>`.

    `bucket_key` trades per-object KMS calls for cost. A pool bucket turns it off: with it
    on, S3 encrypts under the bucket's ARN instead of each object's, and the per-tenant
    prefix could no longer be part of the key's encryption context.
    """
    fixed = naming.fit(naming.joined(b.platform.name, b.name), naming.BUCKET_FIXED_MAX)
    data = b.add("bucket", "aws_s3_bucket", {"bucket": f"{fixed}-{b.account_id}"})
    name = data.ref("id")
    b.add(
        "bucket_versioning",
        "aws_s3_bucket_versioning",
        {"bucket": name, "versioning_configuration": [{"status": "Enabled"}]},
    )
    b.add(
        "bucket_encryption",
        "aws_s3_bucket_server_side_encryption_configuration",
        {"bucket": name, "rule": [{"bucket_key_enabled": bucket_key}]},
    )
    public_access = b.add(
        "bucket_public_access",
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
        "bucket_ownership",
        "aws_s3_bucket_ownership_controls",
        {"bucket": name, "rule": [{"object_ownership": "BucketOwnerEnforced"}]},
    )
    tls_only = b.policy(
        "bucket_policy_document",
        [
            Statement(
                "DenyInsecureTransport",
                ["s3:*"],
                [data.ref("arn"), f"{data.ref('arn')}/*"],
                principals={"*": ["*"]},
                conditions=[("Bool", "aws:SecureTransport", ["false"])],
                effect="Deny",
            )
        ],
    )
    # S3 refuses a bucket policy while the public access block is still being put in place.
    b.add(
        "bucket_policy",
        "aws_s3_bucket_policy",
        {"bucket": name, "policy": tls_only},
        depends_on=[public_access],
    )
    return data
