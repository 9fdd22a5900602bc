"""The GCP driver's rules: the google provider, the types it emits, and its aspects.

* `Labels`: the stack's tags as labels on every resource whose schema has `labels` (a
  Cloud SQL instance's are `settings.user_labels`).
* `KeyEncryption`: every store of data at rest must name the stack's Cloud KMS key in the
  attribute its type takes it in; a type nobody classified fails.
* `Protection`: data stores get `lifecycle.prevent_destroy` (unless `confirmDestroy` names
  them); the builders add GCP's own protection beside it (the instance's deletion protection
  and final backup, no forced deletion of a non-empty bucket, soft delete, the key's
  30 days of scheduled destruction).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler.emit.stacks.cdk import IAspect, IConstruct, Resource, implements
from compiler.emit.stacks.clouds.aspects import KeyEncryption, KeyOf, Protection
from compiler.emit.stacks.rules import CloudRules

SOURCE = "hashicorp/google"
RULES = "compiler/emit/stacks/clouds/gcp/rules.py"
VERSION = "8.7.0"  # the version of the committed schema (compiler/providers/data/gcp.json.gz)

LABELED: frozenset[str] = frozenset(
    {
        "google_cloud_run_v2_service",
        "google_compute_global_address",
        "google_kms_crypto_key",
        "google_secret_manager_secret",
        "google_storage_bucket",
    }
)


def _first(attributes: dict[str, Any], block: str) -> dict[str, Any]:
    found = attributes.get(block) or [{}]
    return dict(found[0])


# Stores of data at rest, and where each names its key.
ENCRYPTED: Mapping[str, KeyOf] = {
    "google_sql_database_instance": lambda a: a.get("encryption_key_name"),
    "google_storage_bucket": lambda a: _first(a, "encryption").get("default_kms_key_name"),
    "google_logging_project_bucket_config": lambda a: _first(a, "cmek_settings").get(
        "kms_key_name"
    ),
    "google_secret_manager_secret": lambda a: (
        _first(_first(_first(a, "replication"), "user_managed"), "replicas")
        .get("customer_managed_encryption", [{}])[0]
        .get("kms_key_name")
    ),
}
# Types that hold no data at rest of their own (a Cloud Run service's data is its image,
# which Artifact Registry holds; Apigee's products and apps are configuration).
NO_DATA_AT_REST: frozenset[str] = frozenset(
    {
        "google_apigee_api_product",
        "google_apigee_developer",
        "google_apigee_developer_app",
        "google_apigee_environment",
        "google_cloud_run_v2_service",
        "google_compute_firewall",
        "google_compute_global_address",
        "google_compute_network",
        "google_compute_subnetwork",
        "google_kms_crypto_key",
        "google_kms_crypto_key_iam_member",
        "google_kms_key_ring",
        "google_logging_project_sink",
        "google_project_iam_member",
        "google_service_account",
        "google_service_networking_connection",
        "google_storage_bucket_iam_member",
    }
)
RESOURCE_TYPES = frozenset(ENCRYPTED) | NO_DATA_AT_REST
# Data stores (compiler.resolve.shapes.PROTECTED_STORES). The key ring is not one: GCP never
# deletes a key ring, and the key in it is protected.
PROTECTED: frozenset[str] = frozenset(
    {
        "google_kms_crypto_key",
        "google_logging_project_bucket_config",
        "google_sql_database_instance",
        "google_storage_bucket",
    }
)


@implements(IAspect)
class Labels:
    def __init__(self, tags: Mapping[str, str]) -> None:
        self.tags = dict(sorted(tags.items()))

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, Resource):
            return
        if node.type in LABELED:
            node.attributes["labels"] = {**self.tags, **node.attributes.get("labels", {})}
        elif node.type == "google_sql_database_instance":
            settings = node.attributes["settings"][0]
            settings["user_labels"] = {**self.tags, **settings.get("user_labels", {})}


def _aspects(b: Any) -> list[Any]:
    return [
        Labels(b.tags),
        KeyEncryption(b.key_arn, ENCRYPTED, NO_DATA_AT_REST, RULES),
        Protection(PROTECTED, b.confirm_destroy),
    ]


GCP_RULES = CloudRules(
    cloud="gcp",
    provider="google",
    source=SOURCE,
    version=VERSION,
    resource_types=RESOURCE_TYPES,
    data_source_types=frozenset(
        {
            "google_logging_project_settings",
            "google_project",
            "google_storage_project_service_account",
        }
    ),
    aspects=_aspects,
)
