"""Database role names: `app_<tenant>`, `agent_<tenant>_<agent>`, at most 63 bytes."""

from __future__ import annotations

import hashlib

MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
_SUFFIX_HEX = 8


def role_name(*parts: str) -> str:
    """Join parts with '_', turn '-' into '_', and cut names over 63 bytes.

    A cut name keeps as much of the readable prefix as fits and ends in '_' plus 8 hex
    digits of the SHA-256 of the full name, so two long names stay distinct.
    """
    full = "_".join(parts).replace("-", "_")
    if len(full.encode()) <= MAX_IDENTIFIER_BYTES:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:_SUFFIX_HEX]
    keep = MAX_IDENTIFIER_BYTES - _SUFFIX_HEX - 1
    return f"{full.encode()[:keep].decode(errors='ignore')}_{digest}"


def app_role(tenant: str) -> str:
    return role_name("app", tenant)


def agent_role(tenant: str, agent: str) -> str:
    return role_name("agent", tenant, agent)


def login_role(tenant: str) -> str:
    """The login role a deployment creates for a tenant's application and grants
    `app_<tenant>` to. The compiler does not manage it (tenant roles are NOLOGIN); the
    stacks allow the tenant's IAM role to connect as it with IAM database authentication."""
    return role_name("login", tenant)
