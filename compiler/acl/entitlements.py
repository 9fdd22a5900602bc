"""Reading a tenant's entitlements: `acl/entitlements/<tenant>.json`.

What an application enforces that is not an agent's step: seats, storage, API rate, runs
per day, the features its plan (and its overrides) grant, and what the plan dedicates to
the tenant. The file is compiled from the spec with the ACLs and published with them, so a
plan edit (seats 10 -> 12) is a change of these files that `paybill plan` shows and `paybill
apply` publishes. The shape is `compiler/schemas/entitlements-v1.schema.json`.

Like the ACL reader, this fails closed: anything it cannot use is an `AclError`.

    from compiler.acl.entitlements import load_entitlements

    granted = load_entitlements("generated/acl", "acme")
    if seats_in_use >= (granted.limits["seats"] or float("inf")): ...
    if "sso" in granted.features: ...
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from compiler.acl.load import TENANT_NAME, AclError

ENTITLEMENTS_VERSION = "paybill.dev/entitlements/v1"
SCHEMA_FILE = "entitlements-v1.schema.json"
FOLDER = "entitlements"  # inside the ACL folder: acl/entitlements/<tenant>.json
_LONGEST_DETAIL = 200  # of a schema message repeated in an AclError (it may quote a value)


@dataclass(frozen=True)
class Entitlements:
    tenant: str
    plan: str
    state: str
    limits: dict[str, int | None]  # None: unlimited
    features: frozenset[str]
    from_overrides: frozenset[str]  # limit and feature names the overrides decide
    resources: dict[str, dict[str, Any]]  # "database", "compute": what the plan dedicates


@cache
def entitlements_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of every entitlements file of this version."""
    text = resources.files("compiler").joinpath("schemas", SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def entitlements_path(acl_folder: str | os.PathLike[str], tenant: str) -> Path:
    return Path(acl_folder) / FOLDER / f"{tenant}.json"


def load_entitlements(acl_folder: str | os.PathLike[str], tenant: str) -> Entitlements:
    """The tenant's entitlements from an ACL folder (`generated/acl`, or where `apply`
    published it). A tenant without a file (deleted, unknown) is an error: there is nothing
    it is entitled to, and a caller must not guess."""
    if not isinstance(tenant, str) or not TENANT_NAME.fullmatch(tenant):
        raise AclError(f"{tenant!r} is not a tenant name")
    path = entitlements_path(acl_folder, tenant)
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise AclError(
            f"{path}: no entitlements for tenant '{tenant}' (deleted or unknown)"
        ) from None
    except (OSError, ValueError) as exc:
        raise AclError(f"{path}: cannot be read as JSON ({exc})") from exc
    found = parse_entitlements(data, str(path))
    if found.tenant != tenant:
        raise AclError(f"{path}: holds the entitlements of '{found.tenant}', not '{tenant}'")
    return found


def parse_entitlements(data: Any, source: str = "<entitlements>") -> Entitlements:
    """Entitlements from decoded JSON, checked against the schema first."""
    from jsonschema import Draft202012Validator  # noqa: PLC0415  (only when a file is read)

    version = data.get("schemaVersion") if isinstance(data, dict) else None
    if version != ENTITLEMENTS_VERSION:
        raise AclError(
            f"{source}: schemaVersion is {version!r}, but this runtime reads "
            f"{ENTITLEMENTS_VERSION!r} (compile the spec and the runtime with the same paybill)"
        )
    try:
        error = next(Draft202012Validator(entitlements_schema()).iter_errors(data), None)
    except RecursionError:
        raise AclError(f"{source}: nested too deeply to be entitlements") from None
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(the document)"
        detail = error.message[:_LONGEST_DETAIL]
        raise AclError(f"{source}: not valid {ENTITLEMENTS_VERSION} at {where}: {detail}")
    chosen = data["fromOverrides"]
    return Entitlements(
        tenant=data["tenant"],
        plan=data["plan"],
        state=data["state"],
        limits=dict(data["limits"]),
        features=frozenset(data["features"]),
        from_overrides=frozenset([*chosen["limits"], *chosen["features"]]),
        resources={k: dict(v) for k, v in data["resources"].items()},
    )
