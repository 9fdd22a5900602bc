"""Lifting a data store's protection, only for what reviewers confirmed, only when needed.

Databases, buckets and keys are protected twice: in the cloud (`deletion_protection` on a
database instance) and in Terraform (`lifecycle.prevent_destroy`). A confirmed replacement
or a tenant's deletion must get past both, in order, or a teardown stops half done:

1. with the configuration that was last applied and an override that lifts the protection
   of exactly the confirmed resources, a targeted apply changes them in place;
2. then the reviewed change (or the destruction of a removed stack) runs, taking a final
   snapshot of every database it deletes.

A stack's resources are in its module (`module.tenant.aws_db_instance.database`), or, in a
stack written before modules, at its root (`aws_db_instance.database`). Terraform merges an
override file only into the module of its own folder, so an override for a module's
resources goes into that module's folder: a private copy in the stack's working copy
(`compiler.terraform.modules`). Overrides are written there and are gone at the next
checkout; `generated/` never holds one.

Users name a resource as the spec does (`confirmDestroy: [aws_db_instance.database]`), the
address within its stack's module: `spec_address` maps Terraform's address to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

UNPROTECT_FILE = "paybill_unprotect_override.tf.json"
# The data stores of every cloud's stacks (the compiler's PROTECTED_STORES, by type).
STORE_TYPES = (
    "aws_db_instance",
    "aws_s3_bucket",
    "aws_kms_key",
    "azurerm_postgresql_flexible_server",
    "azurerm_storage_account",
    "azurerm_key_vault_key",
    "azurerm_log_analytics_workspace",
    "google_sql_database_instance",
    "google_storage_bucket",
    "google_kms_crypto_key",
    "google_logging_project_bucket_config",
    "oci_psql_db_system",
    "oci_objectstorage_bucket",
    "oci_kms_key",
    "oci_logging_log_group",
    "ibm_database",
    "ibm_cos_bucket",
    "ibm_kms_key",
)
# Database instances whose cloud-side deletion protection is a top-level argument an
# override can lift. (Cloud SQL's second one, `settings.deletion_protection_enabled`, is in
# a block an override would replace whole: a teardown stops at it, docs/clouds.md.)
# ibm_database's is the provider's own refusal to destroy it.
PROTECTED_INSTANCES = frozenset({"aws_db_instance", "google_sql_database_instance", "ibm_database"})
# What `terraform plan` says of each resource it refuses to destroy because of
# `lifecycle.prevent_destroy` (its diagnostics may wrap anywhere between words).
_KEPT = re.compile(r"Resource\s+(\S+)\s+has\s+lifecycle\.prevent_destroy\s+set")
_ADDRESS = re.compile(
    r"^(?:module\.(?P<module>[a-z][a-z0-9_]*)\.)?"
    r"(?P<type>[A-Za-z_][A-Za-z0-9_-]*)\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)$"
)
# Forgotten, not destroyed, when a stack is torn down: a tenant's retained snapshots are
# encrypted with its key, which must outlive them.
KEPT_ON_TEARDOWN = frozenset(
    {"aws_kms_key", "azurerm_key_vault_key", "google_kms_crypto_key", "oci_kms_key", "ibm_kms_key"}
)
# Buckets a teardown empties, by the argument that lets the provider delete their objects.
EMPTYING = {
    "aws_s3_bucket": "force_destroy",
    "google_storage_bucket": "force_destroy",
    "ibm_cos_bucket": "force_delete",
}
EMPTIED_ON_TEARDOWN = frozenset(EMPTYING)
ROOT = ""  # where an override goes: the root folder, or a module call's folder


@dataclass(frozen=True, order=True)
class Address:
    """A managed resource: at the root of its stack (`module` empty) or in a module call."""

    module: str
    type: str
    name: str

    @classmethod
    def parse(cls, address: str) -> Address:
        found = _ADDRESS.match(address)
        if found is None:
            raise ValueError(f"{address} is not a resource of a stack or of its module")
        return cls(found["module"] or ROOT, found["type"], found["name"])

    @property
    def full(self) -> str:
        """As Terraform names it."""
        return f"module.{self.module}.{self.spec}" if self.module else self.spec

    @property
    def spec(self) -> str:
        """As the spec names it: within the stack's module."""
        return f"{self.type}.{self.name}"


def spec_address(address: str) -> str:
    """`module.tenant.aws_db_instance.database` -> `aws_db_instance.database`."""
    return Address.parse(address).spec


def stores(root: bytes, modules: Mapping[str, bytes]) -> list[Address]:
    """Every database instance, bucket and key of a stack: at its root, and in the module
    of each call (`modules`: call name -> the module's `cdk.tf.json`)."""
    found = [Address(ROOT, kind, name) for kind, name in _stores(root)]
    for call, config in modules.items():
        found += [Address(call, kind, name) for kind, name in _stores(config)]
    return sorted(found)


def _stores(config: bytes) -> list[tuple[str, str]]:
    resources: Mapping[str, Mapping[str, Any]] = orjson.loads(config).get("resource", {})
    return [(kind, name) for kind in STORE_TYPES for name in resources.get(kind, {})]


def relocate(addresses: Iterable[Address], calls: set[str]) -> list[Address]:
    """`addresses` as a configuration whose module calls are `calls` has them: one written
    before modules has each resource at its root."""
    return sorted(a if a.module in calls else Address(ROOT, a.type, a.name) for a in addresses)


def override(resources: Iterable[Address], *, teardown: bool) -> dict[str, bytes]:
    """Overrides lifting the protection of `resources`, by where each goes (the root, or a
    module call). For a teardown buckets are also emptied on destroy (their tenant's data
    deletion was confirmed)."""

    def body(address: Address) -> dict[str, Any]:
        out: dict[str, Any] = {"lifecycle": {"prevent_destroy": False}}
        if address.type in PROTECTED_INSTANCES:
            out["deletion_protection"] = False
        if address.type == "aws_db_instance":
            out["apply_immediately"] = True  # else the change waits for a maintenance window
        if address.type in EMPTIED_ON_TEARDOWN and teardown:
            out[EMPTYING[address.type]] = True
        return out

    return _overrides(resources, body)


def needs_unprotecting(address: str) -> bool:
    """Whether a confirmed replacement of `address` must first lift a cloud-side protection
    (only database instances have one; prevent_destroy was lifted by the compiler)."""
    return Address.parse(address).type in PROTECTED_INSTANCES


def refused_destroys(terraform_says: str) -> list[str]:
    """The addresses a failed `terraform plan` would not destroy or replace because their
    `lifecycle.prevent_destroy` is set: an unconfirmed loss of a protected store."""
    return sorted(set(_KEPT.findall(terraform_says)))


def lift_prevent_destroy(addresses: Iterable[str]) -> dict[str, bytes]:
    """Overrides lifting only `lifecycle.prevent_destroy` of `addresses`, by where each
    goes: to see what a plan would do to them, never to apply (the cloud-side protection
    stays)."""
    parsed = [Address.parse(a) for a in addresses]
    return _overrides(parsed, lambda address: {"lifecycle": {"prevent_destroy": False}})


def _overrides(resources: Iterable[Address], body: Any) -> dict[str, bytes]:
    grouped: dict[str, dict[str, dict[str, Any]]] = {}
    for address in sorted(resources):
        grouped.setdefault(address.module, {}).setdefault(address.type, {})[address.name] = body(
            address
        )
    return {
        where: orjson.dumps({"resource": found}, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
        for where, found in grouped.items()
    }
