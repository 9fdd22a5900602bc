"""Tables: unique columns, a primary key, and the tenant column where rows belong to tenants."""

from __future__ import annotations

import re

from compiler.resolve import model
from compiler.resolve.context import Context

# The tenant column holds the tenant's name (policies compare it with a literal), so text.
_TENANT_COLUMN_TYPE = re.compile(r"^(text|varchar\(([0-9]+)\))$")
_TENANT_NAME_MAX = 40


def resolve_tables(ctx: Context) -> tuple[model.Table, ...]:
    tenant_column = ctx.spec.platform.model.spec.database.tenant_column
    out: list[model.Table] = []
    for name, doc in sorted(ctx.spec.tables.items()):
        spec = doc.model.spec
        seen: set[str] = set()
        for index, column in enumerate(spec.columns):
            if column.name in seen:
                ctx.error(
                    doc,
                    ("spec", "columns", index, "name"),
                    f"column '{column.name}' is defined twice",
                )
            seen.add(column.name)
        if not any(c.primary_key for c in spec.columns):
            ctx.error(
                doc,
                ("spec", "columns"),
                "table has no primary key",
                "mark the identifying column with 'primaryKey: true'",
            )
        by_name = {c.name: (i, c) for i, c in enumerate(spec.columns)}
        if spec.tenant_scoped:
            found = by_name.get(tenant_column)
            if found is None:
                ctx.error(
                    doc,
                    ("spec", "columns"),
                    f"tenant-scoped table has no '{tenant_column}' column",
                    f"add '- {{name: {tenant_column}, type: text}}' or set 'tenantScoped: false' "
                    "for data shared by all tenants",
                )
            else:
                index, column = found
                match = _TENANT_COLUMN_TYPE.match(column.type)
                too_short = match and match.group(2) and int(match.group(2)) < _TENANT_NAME_MAX
                if not match or too_short:
                    ctx.error(
                        doc,
                        ("spec", "columns", index, "type"),
                        f"the tenant column '{tenant_column}' must be text "
                        f"(it holds tenant names), not {column.type}",
                    )
                if column.nullable:
                    ctx.error(
                        doc,
                        ("spec", "columns", index, "nullable"),
                        f"the tenant column '{tenant_column}' cannot be nullable",
                        "a row without a tenant would be invisible to every tenant",
                    )
        out.append(
            model.Table(
                name=name,
                schema=spec.db_schema,
                tenant_scoped=spec.tenant_scoped,
                columns=tuple(
                    model.Column(c.name, c.type, c.primary_key, c.nullable, c.pii)
                    for c in spec.columns
                ),
            )
        )
    return tuple(out)
