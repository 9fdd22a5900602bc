"""Table: the relational schema, written first; workflows may only touch what is here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from compiler.dsl.common import COLUMN_TYPE_PATTERN, Document, Model, SqlIdentifier

__all__ = ["COLUMN_TYPE_PATTERN", "Column", "Table", "TableSpec"]


class Column(Model):
    name: SqlIdentifier
    type: Annotated[str, Field(pattern=COLUMN_TYPE_PATTERN)]
    primary_key: bool = False
    nullable: bool = False
    pii: bool = False
    # A value of the column's type (checked against the type by resolve, which knows where
    # it was written), or one of the few expressions resolve allows: now(), ... YAML gives
    # only JSON values; `Any` keeps the JSON Schema free of a `$ref` editors would misread.
    default: Any = None


class TableSpec(Model):
    db_schema: SqlIdentifier = Field("app", alias="schema")
    # Tenant-scoped unless said otherwise: forgetting the flag then fails loudly (the table
    # must carry the tenant column) instead of silently sharing rows between tenants.
    tenant_scoped: bool = True
    columns: Annotated[list[Column], Field(min_length=1)]


class Table(Document):
    kind: Literal["Table"]
    spec: TableSpec
