"""Confirmations: what a spec says reviewers have agreed may be destroyed or moved.

They name the exact thing — a resource of a stack, the homes a tenant moves between — so
that approving one change never approves another. The compiler writes them
into the node records, where `paybill plan` and `paybill apply` read them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from compiler.dsl.common import ADDRESS_PATTERN, HOME_PATTERN, UNIQUE, UNIQUE_ITEMS, Model

HomeKey = Annotated[str, Field(pattern=HOME_PATTERN)]
Address = Annotated[str, Field(pattern=ADDRESS_PATTERN)]
# Resources of the stack that may be deleted or replaced, e.g. [aws_db_instance.database].
Addresses = Annotated[list[Address], UNIQUE, Field(json_schema_extra=UNIQUE_ITEMS)]


class Migration(Model):
    """A tenant moving home (a change of isolation, pool, cloud or region), confirmed in
    review: `{from: bridge/eu-shared, to: silo/aws/eu-central-1}`. Apply then builds the new
    home beside the old, copies the data and switches to it; the old home is retired (its
    final snapshot kept) only with the second confirmation, `retireOld: true`, in the same
    pull request or a later one."""

    from_: HomeKey = Field(alias="from")
    to: HomeKey
    retire_old: bool = False
