"""RDS: moto gives every DB instance the same `DbiResourceId`.

The AWS provider reads an instance back through that id (a `dbi-resource-id` filter), so
with two instances in one region the second "cannot be found" and its apply fails. Each
instance gets its own id here, shaped as AWS makes them (`db-` and 26 base32 characters).
"""

from __future__ import annotations

import base64
import functools
import secrets
from collections.abc import Callable
from typing import Any

from moto.rds.models import DBInstance

_MARK = "_paybill_unique_resource_id"


def new_resource_id() -> str:
    """A fresh id in AWS's shape: `db-` then 26 upper-case base32 characters."""
    return "db-" + base64.b32encode(secrets.token_bytes(20)).decode()[:26]


def apply() -> None:
    original: Callable[..., None] = DBInstance.__init__
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def init(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.dbi_resource_id = new_resource_id()

    setattr(init, _MARK, True)
    setattr(DBInstance, "__init__", init)  # noqa: B010 - patching a class attribute
