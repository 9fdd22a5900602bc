"""The IBM driver's rules: the ibm provider, the types it emits, and its aspects.

* `Tagging`: the stack's tags as `key:value` strings in `tags` on every resource whose
  schema has them (IBM Cloud tags are plain strings).
* `KeyEncryption`: every store of data at rest names the stack's Key Protect key in the
  attribute its type takes it in; a type nobody classified fails. The administrator's
  password in Secrets Manager is encrypted with the instance's own keys
  (`PROVIDER_MANAGED_KEYS`, a gap written in docs/clouds.md).
* `Protection`: data stores get `lifecycle.prevent_destroy` (unless `confirmDestroy`
  names them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler.emit.stacks.cdk import IAspect, IConstruct, Resource, implements
from compiler.emit.stacks.clouds.aspects import KeyEncryption, KeyOf, Protection
from compiler.emit.stacks.rules import CloudRules

SOURCE = "IBM-Cloud/ibm"
RULES = "compiler/emit/stacks/clouds/ibm/rules.py"
VERSION = "2.5.0"  # the version of the committed schema (compiler/providers/data/ibm.json)

ENCRYPTED: Mapping[str, KeyOf] = {
    "ibm_cos_bucket": lambda a: a.get("kms_key_crn"),
    "ibm_database": lambda a: a.get("key_protect_key"),
}
PROVIDER_MANAGED_KEYS: frozenset[str] = frozenset({"ibm_sm_username_password_secret"})
NO_DATA_AT_REST: frozenset[str] = frozenset(
    {
        "ibm_code_engine_app",
        "ibm_code_engine_project",
        "ibm_iam_authorization_policy",
        "ibm_iam_trusted_profile",
        "ibm_iam_trusted_profile_link",
        "ibm_iam_trusted_profile_policy",
        "ibm_is_security_group",
        "ibm_is_security_group_rule",
        "ibm_is_subnet",
        "ibm_is_virtual_endpoint_gateway",
        "ibm_is_vpc",
        "ibm_is_vpc_address_prefix",
        "ibm_kms_key",
        "ibm_kms_key_policies",
        # Service instances hold no data themselves: their buckets, keys and secrets do.
        "ibm_resource_instance",
    }
)
RESOURCE_TYPES = frozenset(ENCRYPTED) | PROVIDER_MANAGED_KEYS | NO_DATA_AT_REST
# Types whose schema has `tags` (ibm.json).
TAGGED: frozenset[str] = frozenset(
    {
        "ibm_database",
        "ibm_iam_trusted_profile_policy",
        "ibm_is_security_group",
        "ibm_is_subnet",
        "ibm_is_virtual_endpoint_gateway",
        "ibm_is_vpc",
        "ibm_resource_instance",
    }
)
PROTECTED: frozenset[str] = frozenset({"ibm_cos_bucket", "ibm_database", "ibm_kms_key"})


@implements(IAspect)
class Tagging:
    def __init__(self, tags: Mapping[str, str]) -> None:
        self.tags = [f"{k}:{v}" for k, v in sorted(tags.items())]

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, Resource) and node.type in TAGGED:
            node.attributes["tags"] = sorted({*self.tags, *node.attributes.get("tags", [])})


def _aspects(b: Any) -> list[Any]:
    tags = {**b.tags, "region": b.region}
    return [
        Tagging(tags),
        KeyEncryption(b.key_arn, ENCRYPTED, NO_DATA_AT_REST | PROVIDER_MANAGED_KEYS, RULES),
        Protection(PROTECTED, b.confirm_destroy),
    ]


IBM_RULES = CloudRules(
    cloud="ibm",
    provider="ibm",
    source=SOURCE,
    version=VERSION,
    resource_types=RESOURCE_TYPES,
    data_source_types=frozenset({"ibm_resource_group"}),
    aspects=_aspects,
)
