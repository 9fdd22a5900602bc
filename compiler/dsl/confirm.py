"""Confirmations: what a spec says reviewers have agreed may be destroyed or moved.

They name the exact thing — a resource of a stack, the databases a tenant's rows move
between — so that approving one change never approves another. The compiler writes them
into the node records, where `paybill plan` and `paybill apply` read them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from compiler.dsl.common import ADDRESS_PATTERN, TARGET_PATTERN, UNIQUE, UNIQUE_ITEMS, Model

Target = Annotated[str, Field(pattern=TARGET_PATTERN)]
Address = Annotated[str, Field(pattern=ADDRESS_PATTERN)]
# Resources of the stack that may be deleted or replaced, e.g. [aws_db_instance.database].
Addresses = Annotated[list[Address], UNIQUE, Field(json_schema_extra=UNIQUE_ITEMS)]


class DataMove(Model):
    """A tenant's rows move from one database to another (a change of isolation model or of
    pool): `{from: pool-eu-shared, to: tenant-acme}`."""

    from_: Target = Field(alias="from")
    to: Target
