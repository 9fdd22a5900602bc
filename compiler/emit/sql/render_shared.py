"""The runtime shared by every target -> the files of `sql/shared/` (node `runtime:sql`).

    00-owner.sql    the owner role, and limits for every session of the database
    10-schema.sql   the spec's schemas and tables (keys, defaults, owner), row-level security
                    enabled and forced (or, on reference data, off); PUBLIC has no privilege
    15-runs.sql     paybill's own schemas and tables, the workflows' limits, the run API
    40-steps.sql    one function per workflow step

No statement here names a target's role (the owner role, `paybill_owner`, is the same in
every target): who may use what, and who owns the step functions, is in each target's own
files, which are applied with these (see render.py for the order).
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.emit.sql import render_runs
from compiler.emit.sql import statements as st
from compiler.emit.sql.quote import Sql
from compiler.emit.sql.render_runs import Defined
from compiler.emit.sql.runtime import RuntimeState
from compiler.emit.sql.sections import Section, render_file, section, sections
from compiler.emit.sql.state import OWNER_COMMENT

SCOPE = "The SQL runtime every target shares"


def render_runtime(runtime: RuntimeState, defined: Defined) -> dict[str, bytes]:
    """The shared files, by name (`defined`: the runtime's functions, built once)."""
    return {
        name: render_file(title, SCOPE, build(runtime, defined))
        for name, (title, build) in SHARED_FILES.items()
    }


def _owner(runtime: RuntimeState, defined: Defined) -> list[Section]:
    return [
        *section(
            "Owner of every schema and table: NOLOGIN, and no tenant or agent role is a member.",
            [
                st.create_role_if_missing(runtime.owner),
                st.comment_on_role(runtime.owner, OWNER_COMMENT),
                st.let_applier_own(runtime.owner),
            ],
        ),
        *section(
            "Limits for every session of this database (a session may still change its own).",
            [st.current_database_setting(x.name, x.value) for x in runtime.settings],
        ),
    ]


def _schema(runtime: RuntimeState, defined: Defined) -> list[Section]:
    out = section(
        "Schemas",
        [
            s
            for schema in runtime.schemas
            for s in (
                st.create_schema(schema, runtime.owner),
                st.alter_schema_owner(schema, runtime.owner),
            )
        ],
    )
    for table in runtime.tables:
        statements = [st.create_table(table)]
        statements.extend(st.add_column(table.schema, table.name, c) for c in table.columns)
        statements.append(st.column_defaults(table))
        statements.append(st.alter_table_owner(table.schema, table.name, runtime.owner))
        if table.row_security:
            statements.extend(
                st.row_security(table.schema, table.name, a) for a in ("ENABLE", "FORCE")
            )
            title = f"Table {table.schema}.{table.name}: row-level security enabled and forced"
        else:
            statements.extend(
                st.row_security(table.schema, table.name, a) for a in ("NO FORCE", "DISABLE")
            )
            title = f"Table {table.schema}.{table.name} (shared reference data: read-only for all)"
        out.extend(section(title, statements))
    out.extend(
        section(
            "Keys of tables created before their key began with the tenant column: widened.",
            [st.ensure_primary_keys(runtime.tables)] if runtime.tables else [],
        )
    )
    out.extend(
        section(
            "PUBLIC may not use them (each target's files say which of its roles may).",
            [
                st.revoke(Sql("ALL"), st.on_schema(*runtime.schemas), [None]),
                st.revoke(Sql("ALL"), st.on_all_tables(*runtime.schemas), [None]),
            ]
            if runtime.schemas
            else [],
        )
    )
    return out


def _runs(runtime: RuntimeState, defined: Defined) -> list[Section]:
    return sections(render_runs.runs_file(runtime, defined))


def _steps(runtime: RuntimeState, defined: Defined) -> list[Section]:
    return sections(render_runs.steps_file(runtime, defined))


SHARED_FILES: dict[str, tuple[str, Callable[[RuntimeState, Defined], list[Section]]]] = {
    "00-owner.sql": ("Owner: the role that owns every schema and table; session limits.", _owner),
    "10-schema.sql": ("Schemas and tables, owned by the owner role.", _schema),
    "15-runs.sql": ("Runs: paybill's own tables and the functions agents start runs with.", _runs),
    "40-steps.sql": ("Steps: one function per workflow step, the only way agents act.", _steps),
}
