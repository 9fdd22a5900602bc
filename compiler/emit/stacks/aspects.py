"""Aspects: rules every resource of a stack follows, applied once instead of in every builder.

* `Tagging` puts the stack's tags (tenant, plan, isolation, pool, platform, managed-by) on
  every resource that can carry tags.
* `Encryption` points every store of data at rest at the stack's KMS key. A resource type
  nobody classified is an error, so a new data store cannot slip through unencrypted.
* `DataProtection` makes databases, buckets and keys refuse deletion: `deletion_protection`
  and `lifecycle.prevent_destroy`, a final snapshot, no `force_destroy`.

The tables below are the single place that says which resource types the stacks use; the
tests check them against the AWS provider's schema (which types take `tags`, which
attributes exist).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compiler.emit.stacks.cdk import IAspect, IConstruct, Resource, implements

# Types whose schema has a `tags` attribute.
TAGGABLE: frozenset[str] = frozenset(
    {
        "aws_api_gateway_api_key",
        "aws_api_gateway_rest_api",
        "aws_api_gateway_stage",
        "aws_api_gateway_usage_plan",
        "aws_appautoscaling_target",
        "aws_cloudwatch_log_group",
        "aws_db_instance",
        "aws_db_parameter_group",
        "aws_db_subnet_group",
        "aws_default_security_group",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_flow_log",
        "aws_iam_role",
        "aws_kms_key",
        "aws_s3_bucket",
        "aws_security_group",
        "aws_subnet",
        "aws_vpc",
        "aws_vpc_endpoint",
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_ingress_rule",
    }
)


def _encrypt_database(attributes: dict[str, Any], key_arn: str) -> None:
    attributes["storage_encrypted"] = True
    attributes["kms_key_id"] = key_arn
    if attributes.get("manage_master_user_password"):
        attributes["master_user_secret_kms_key_id"] = key_arn


def _encrypt_log_group(attributes: dict[str, Any], key_arn: str) -> None:
    attributes["kms_key_id"] = key_arn


def _encrypt_bucket(attributes: dict[str, Any], key_arn: str) -> None:
    for rule in attributes["rule"]:
        rule["apply_server_side_encryption_by_default"] = [
            {"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn}
        ]


# Buckets encrypted with S3-managed keys instead of the stack's key, by construct id: S3
# delivers server access logs only to buckets encrypted that way.
S3_MANAGED_KEYS: frozenset[str] = frozenset({"log_bucket_encryption"})


def _encrypt_with_s3_keys(attributes: dict[str, Any]) -> None:
    for rule in attributes["rule"]:
        rule["apply_server_side_encryption_by_default"] = [{"sse_algorithm": "AES256"}]


# Stores of data at rest, and how each is pointed at the stack's key. A bucket is encrypted
# through its `aws_s3_bucket_server_side_encryption_configuration`.
ENCRYPTED: Mapping[str, Callable[[dict[str, Any], str], None]] = {
    "aws_db_instance": _encrypt_database,
    "aws_cloudwatch_log_group": _encrypt_log_group,
    "aws_s3_bucket_server_side_encryption_configuration": _encrypt_bucket,
}
ENCRYPTED_BY_COMPANION: Mapping[str, str] = {
    "aws_s3_bucket": "aws_s3_bucket_server_side_encryption_configuration",
}
# Types that hold no data at rest of their own (configuration, identity, network, limits).
NO_DATA_AT_REST: frozenset[str] = frozenset(
    {
        "aws_api_gateway_api_key",
        "aws_api_gateway_deployment",
        "aws_api_gateway_integration",
        "aws_api_gateway_method",
        "aws_api_gateway_resource",
        "aws_api_gateway_rest_api",
        "aws_api_gateway_stage",  # no cache: nothing stored
        "aws_api_gateway_usage_plan",
        "aws_api_gateway_usage_plan_key",
        "aws_appautoscaling_policy",
        "aws_appautoscaling_target",
        "aws_db_parameter_group",
        "aws_db_subnet_group",
        "aws_default_security_group",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_flow_log",  # writes into the log bucket, which is encrypted
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_kms_alias",
        "aws_kms_key",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_security_group",
        "aws_subnet",
        "aws_vpc",
        "aws_vpc_endpoint",
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_ingress_rule",
    }
)
RESOURCE_TYPES: frozenset[str] = (
    frozenset(ENCRYPTED) | set(ENCRYPTED_BY_COMPANION) | NO_DATA_AT_REST
)
# Stores whose loss is loss of data: never destroyed by a plan.
PROTECTED: frozenset[str] = frozenset({"aws_db_instance", "aws_kms_key", "aws_s3_bucket"})
FINAL_SNAPSHOT_STAMP = 'formatdate("YYYYMMDDhhmmss", timestamp())'


@implements(IAspect)
class Tagging:
    """The stack's tags on every resource whose type is `taggable` (AWS's by default)."""

    def __init__(self, tags: Mapping[str, str], taggable: frozenset[str] = TAGGABLE) -> None:
        self.tags = dict(sorted(tags.items()))
        self.taggable = taggable

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, Resource) and node.type in self.taggable:
            node.attributes["tags"] = {**self.tags, **node.attributes.get("tags", {})}


@implements(IAspect)
class Encryption:
    def __init__(self, key_arn: str | None) -> None:
        self.key_arn = key_arn

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, Resource):
            return
        encrypt = ENCRYPTED.get(node.type)
        if node.node.id in S3_MANAGED_KEYS and encrypt is _encrypt_bucket:
            _encrypt_with_s3_keys(node.attributes)
        elif encrypt is not None:
            if self.key_arn is None:
                raise ValueError(
                    f"{node.type} '{node.node.id}' stores data, but its stack has no key"
                )
            encrypt(node.attributes, self.key_arn)
        elif node.type not in NO_DATA_AT_REST and node.type not in ENCRYPTED_BY_COMPANION:
            raise ValueError(
                f"resource type {node.type} is not classified for encryption at rest; add it "
                "to ENCRYPTED or NO_DATA_AT_REST in compiler/emit/stacks/aspects.py"
            )


@implements(IAspect)
class DataProtection:
    """Protect every data store, but for the resources the spec confirms may be destroyed
    (`confirmDestroy`): those keep their settings but lose `prevent_destroy`, so that
    Terraform can plan the replacement or deletion reviewers agreed to."""

    def __init__(self, confirmed: tuple[str, ...] = ()) -> None:
        self.confirmed = frozenset(confirmed)

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, Resource) or node.type not in PROTECTED:
            return
        attributes = node.attributes
        if node.type == "aws_db_instance":
            attributes["deletion_protection"] = True
            attributes["skip_final_snapshot"] = False
            # Unique per instance, fixed when it is created: a tenant offboarded twice (or a
            # database replaced twice) never meets the snapshot of the time before.
            attributes["final_snapshot_identifier"] = (
                f"{attributes['identifier']}-final-${{{FINAL_SNAPSHOT_STAMP}}}"
            )
            node.ignore_changes = (*node.ignore_changes, "final_snapshot_identifier")
            attributes["delete_automated_backups"] = False
        elif node.type == "aws_s3_bucket":
            attributes["force_destroy"] = False
        elif node.type == "aws_kms_key":
            attributes["deletion_window_in_days"] = 30
        node.protect(prevent_destroy=node.address not in self.confirmed)
