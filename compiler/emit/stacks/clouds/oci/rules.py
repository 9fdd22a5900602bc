"""The OCI driver's rules: the oci provider, the types it emits, and its aspects.

* `Tagging`: the stack's tags as `freeform_tags` on every resource whose schema has them.
* `KeyEncryption`: every store of data at rest must name the stack's Vault key in the
  attribute its type takes it in; a type nobody classified fails. OCI Database with
  PostgreSQL takes no customer key in provider 7.19 (`ORACLE_MANAGED_KEYS`, a gap written
  in docs/clouds.md): the one store allowed to be encrypted by the provider's keys.
* `Protection`: data stores get `lifecycle.prevent_destroy` (unless `confirmDestroy`
  names them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler.emit.stacks.cdk import IAspect, IConstruct, Resource, implements
from compiler.emit.stacks.clouds.aspects import KeyEncryption, KeyOf, Protection
from compiler.emit.stacks.rules import CloudRules

SOURCE = "oracle/oci"
RULES = "compiler/emit/stacks/clouds/oci/rules.py"
VERSION = "7.19.0"  # the version of the committed schema (compiler/providers/data/oci.json.gz)

ENCRYPTED: Mapping[str, KeyOf] = {
    "oci_objectstorage_bucket": lambda a: a.get("kms_key_id"),
    "oci_vault_secret": lambda a: a.get("key_id"),
}
ORACLE_MANAGED_KEYS: frozenset[str] = frozenset({"oci_psql_db_system"})
NO_DATA_AT_REST: frozenset[str] = frozenset(
    {
        "oci_apigateway_deployment",
        "oci_apigateway_gateway",
        "oci_apigateway_subscriber",
        "oci_apigateway_usage_plan",
        "oci_container_instances_container_instance",
        "oci_core_default_security_list",
        "oci_core_network_security_group",
        "oci_core_network_security_group_security_rule",
        "oci_core_subnet",
        "oci_core_vcn",
        "oci_identity_compartment",
        "oci_identity_dynamic_group",
        "oci_identity_policy",
        "oci_kms_key",
        "oci_kms_vault",
        "oci_logging_log",
        "oci_logging_log_group",
    }
)
RESOURCE_TYPES = frozenset(ENCRYPTED) | ORACLE_MANAGED_KEYS | NO_DATA_AT_REST
UNTAGGED: frozenset[str] = frozenset({"oci_core_network_security_group_security_rule"})
PROTECTED: frozenset[str] = frozenset(
    {"oci_kms_key", "oci_logging_log_group", "oci_objectstorage_bucket", "oci_psql_db_system"}
)


@implements(IAspect)
class Tagging:
    def __init__(self, tags: Mapping[str, str]) -> None:
        self.tags = dict(sorted(tags.items()))

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, Resource) and node.type not in UNTAGGED:
            node.attributes["freeform_tags"] = {
                **self.tags,
                **node.attributes.get("freeform_tags", {}),
            }


def _aspects(b: Any) -> list[Any]:
    tags = {**b.tags, "region": b.region}
    return [
        Tagging(tags),
        KeyEncryption(b.key_arn, ENCRYPTED, NO_DATA_AT_REST | ORACLE_MANAGED_KEYS, RULES),
        Protection(PROTECTED, b.confirm_destroy),
    ]


OCI_RULES = CloudRules(
    cloud="oci",
    provider="oci",
    source=SOURCE,
    version=VERSION,
    resource_types=RESOURCE_TYPES,
    data_source_types=frozenset(
        {
            "oci_identity_availability_domain",
            "oci_objectstorage_namespace",
            "oci_secrets_secretbundle",
        }
    ),
    aspects=_aspects,
)
