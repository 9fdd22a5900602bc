"""Lifting a data store's protection, only for what reviewers confirmed, only when needed.

Databases, buckets and keys are protected twice: in the cloud (`deletion_protection` on a
database instance) and in Terraform (`lifecycle.prevent_destroy`). A confirmed replacement
or a tenant's deletion must get past both, in order, or a teardown stops half done:

1. with the configuration that was last applied and an override that lifts the protection
   of exactly the confirmed resources, a targeted apply changes them in place;
2. then the reviewed change (or the destruction of a removed stack) runs, taking a final
   snapshot of every database it deletes.

The override is written next to the stack's configuration in its working copy and is gone
at the next checkout; `generated/` never holds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

UNPROTECT_FILE = "paybill_unprotect_override.tf.json"
# What `terraform plan` says of each resource it refuses to destroy because of
# `lifecycle.prevent_destroy` (its diagnostics may wrap anywhere between words).
_KEPT = re.compile(r"Resource\s+(\S+)\s+has\s+lifecycle\.prevent_destroy\s+set")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*")  # type.name
# Forgotten, not destroyed, when a stack is torn down: a tenant's retained snapshots are
# encrypted with its key, which must outlive them.
KEPT_ON_TEARDOWN = frozenset({"aws_kms_key"})


def protected(config: bytes) -> list[tuple[str, str]]:
    """(type, name) of every database instance, bucket and key of a stack's `cdk.tf.json`."""
    data = orjson.loads(config)
    resources: Mapping[str, Mapping[str, Any]] = data.get("resource", {})
    return sorted(
        (kind, name)
        for kind in ("aws_db_instance", "aws_s3_bucket", "aws_kms_key")
        for name in resources.get(kind, {})
    )


def override(resources: Iterable[tuple[str, str]], *, teardown: bool) -> bytes:
    """An override lifting the protection of `resources`. For a teardown buckets are also
    emptied on destroy (their tenant's data deletion was confirmed)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, name in resources:
        body: dict[str, Any] = {"lifecycle": {"prevent_destroy": False}}
        if kind == "aws_db_instance":
            body["deletion_protection"] = False
            body["apply_immediately"] = True  # else the change waits for a maintenance window
        if kind == "aws_s3_bucket" and teardown:
            body["force_destroy"] = True
        out.setdefault(kind, {})[name] = body
    return orjson.dumps({"resource": out}, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def needs_unprotecting(address: str) -> bool:
    """Whether a confirmed replacement of `address` must first lift a cloud-side protection
    (only database instances have one; prevent_destroy was lifted by the compiler)."""
    return address.startswith("aws_db_instance.")


def refused_destroys(terraform_says: str) -> list[str]:
    """The addresses a failed `terraform plan` would not destroy or replace because their
    `lifecycle.prevent_destroy` is set: an unconfirmed loss of a protected store."""
    return sorted(set(_KEPT.findall(terraform_says)))


def lift_prevent_destroy(addresses: Iterable[str]) -> bytes:
    """An override lifting only `lifecycle.prevent_destroy` of `addresses`: to see what a
    plan would do to them, never to apply (the cloud-side protection stays)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for address in addresses:
        if not _PLAIN.fullmatch(address):
            raise ValueError(f"{address} is not a resource of the stack's own configuration")
        kind, _, name = address.partition(".")
        out.setdefault(kind, {})[name] = {"lifecycle": {"prevent_destroy": False}}
    return orjson.dumps({"resource": out}, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
