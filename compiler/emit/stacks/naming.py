"""Names of AWS resources: readable, deterministic, and within each service's rules.

Spec names are at most 40 characters, so `<platform>-<stack>` can reach 88, more than an RDS
identifier (63), an IAM role (64) or the fixed part of a bucket name allows. A name that does
not fit keeps as much of its readable start as fits and ends in `-` plus 8 hex digits of the
SHA-256 of the full name, the same rule the database role names follow, so two long names
stay distinct and a reviewer still recognises the tenant.
"""

from __future__ import annotations

import hashlib
import re

_SUFFIX_HEX = 8

IAM_ROLE_MAX = 64
# A GCP service account id (6-30 characters), which also names the stack's Cloud Run service
# and Apigee environment on GCP.
SERVICE_ACCOUNT_MAX = 30
RDS_IDENTIFIER_MAX = 63
# A bucket name is `<fixed part>-<12-digit account id>`, at most 63 characters in all.
BUCKET_FIXED_MAX = 63 - 13
GENERAL_MAX = 255
# The longest stack name a spec can give (`tenant-` and a name of 40 characters).
LONGEST_STACK = "tenant-" + "x" * 40


def fit(name: str, limit: int) -> str:
    """`name` itself when it fits in `limit` characters, else a cut name with a hash suffix."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_SUFFIX_HEX]
    keep = name[: limit - _SUFFIX_HEX - 1].rstrip("-")
    return f"{keep}-{digest}"


def joined(*parts: str) -> str:
    return "-".join(part for part in parts if part)


def rds_identifier(*parts: str) -> str:
    """An RDS instance identifier: letters, digits and single hyphens, 63 characters at most.

    Spec names may hold `--`, which RDS refuses; such a name is treated like a long one:
    runs of hyphens become one and the hash of the name as written keeps it distinct.
    """
    name = joined(*parts)
    if "--" not in name:
        return fit(name, RDS_IDENTIFIER_MAX)
    digest = hashlib.sha256(name.encode()).hexdigest()[:_SUFFIX_HEX]
    readable = re.sub("-+", "-", name)[: RDS_IDENTIFIER_MAX - _SUFFIX_HEX - 1].rstrip("-")
    return f"{readable}-{digest}"


STORAGE_ACCOUNT_MAX = 24


def storage_account(*parts: str) -> str:
    """An Azure storage account name: 3-24 lowercase letters and digits, unique in all of
    Azure. The readable start of the name without hyphens, and 8 hex digits of the SHA-256
    of the name as written, always: two names that differ only in hyphens stay distinct."""
    name = joined(*parts)
    digest = hashlib.sha256(name.encode()).hexdigest()[:_SUFFIX_HEX]
    readable = re.sub("[^a-z0-9]", "", name.lower())[: STORAGE_ACCOUNT_MAX - _SUFFIX_HEX]
    return f"{readable}{digest}"
