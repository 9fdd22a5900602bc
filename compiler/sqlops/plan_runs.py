"""What serves agents' runs, live vs desired: the database's session settings, the functions
of paybill's schemas and paybill's own rows (workflows, tenants, agents).

Every function in `paybill` and `paybill_api` is paybill's: one the spec does not have, or
whose arguments or result changed, is dropped; one whose body, settings, language,
volatility or security was changed by hand is replaced; its owner and the roles that may
execute it are set to exactly the spec's (PUBLIC's default EXECUTE included).
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.emit.sql import statements as st
from compiler.emit.sql.functions import Function, create, statements, target_functions
from compiler.emit.sql.quote import Sql, ident, literal
from compiler.emit.sql.render_runs import (
    AGENT_COLUMNS,
    TENANT_COLUMNS,
    WORKFLOW_COLUMNS,
    tenant_row,
)
from compiler.emit.sql.state import INTERNAL_SCHEMA, TargetState
from compiler.sqlops.catalog import LiveState
from compiler.sqlops.catalog_runs import LiveFunction
from compiler.sqlops.change import FUNCTIONS, ROWS, SETTINGS, Change


def diff_settings(state: TargetState, live: LiveState) -> Iterator[Change]:
    for setting in state.settings:
        have = live.extra.settings.get(setting.name)
        if have != setting.value:
            shown = "unset" if have is None else literal(have)
            yield Change(
                SETTINGS,
                (setting.name,),
                f"sessions of database {ident(live.database)} get {setting.name} {shown}; the "
                f"spec says {literal(setting.value)}",
                (st.database_setting(live.database, setting.name, setting.value),),
            )


# -- functions ---------------------------------------------------------------------------
def _changed(want: Function, have: LiveFunction) -> list[str]:
    settings = tuple(f"{name}={value}" for name, value in want.settings)
    checks: tuple[tuple[str, bool], ...] = (
        ("its body", have.body != want.body),
        ("its settings", tuple(sorted(have.settings)) != tuple(sorted(settings))),
        ("SECURITY DEFINER" if want.definer else "SECURITY INVOKER", have.definer != want.definer),
        ("its language", have.language != want.language),
        ("its volatility", have.volatility != want.volatility),
        ("STRICT", have.strict),
    )
    return [what for what, differs in checks if differs]


def diff_functions(state: TargetState, live: LiveState) -> Iterator[Change]:
    wanted = target_functions(state.owner, state.roles, state.steps)
    keys = {(f.schema, f.name, f.shape_digest): f for f in wanted}
    for key, have in sorted(live.extra.functions.items()):
        if key not in keys:
            same_name = any((f.schema, f.name) == key[:2] for f in wanted)
            why = "has other arguments or another result than" if same_name else "is not in"
            yield Change(
                FUNCTIONS,
                ("0", *key),
                f"function {have.signature} {why} the spec",
                (st.drop_function(Sql(have.signature)),),
            )
    for order, want in enumerate(wanted):
        have = live.extra.functions.get((want.schema, want.name, want.shape_digest))
        name = f"{ident(want.schema)}.{ident(want.name)}"
        at: tuple[str, ...] = ("1", f"{order:05d}")
        if have is None:
            yield Change(FUNCTIONS, at, f"function {name} does not exist", tuple(statements(want)))
            continue
        changed = _changed(want, have)
        if changed:
            yield Change(
                FUNCTIONS,
                (*at, "definition"),
                f"function {name} differs from the spec in {', '.join(changed)}",
                (create(want),),
            )
        if have.owner != want.owner:
            yield Change(
                FUNCTIONS,
                (*at, "owner"),
                f"function {name} is owned by {ident(have.owner)}, not {ident(want.owner)}",
                (st.alter_function_owner(want.signature, want.owner),),
            )
        yield from _execute(want, have, at)


def _execute(want: Function, have: LiveFunction, key: tuple[str, ...]) -> Iterator[Change]:
    name = f"{ident(want.schema)}.{ident(want.name)}"
    target = Sql(f"FUNCTION {want.signature}")
    desired = set(want.execute)
    present = {grantee for grantee, _ in have.execute}
    for grantee in sorted(present - desired, key=lambda g: g or ""):
        who = "PUBLIC" if grantee is None else ident(grantee)
        yield Change(
            FUNCTIONS,
            (*key, "revoke", grantee or ""),
            f"{who} has EXECUTE on {name}, which the spec does not grant",
            (st.revoke(Sql("EXECUTE"), target, [grantee]),),
        )
    for grantee, grantable in sorted(have.execute, key=lambda g: g[0] or ""):
        if grantable and grantee in desired:
            yield Change(
                FUNCTIONS,
                (*key, "option", grantee or ""),
                f"{ident(grantee)} may grant EXECUTE on {name} to others (WITH GRANT OPTION)",
                (st.revoke_grant_option(Sql("EXECUTE"), target, [grantee]),),
            )
    for grantee in sorted(desired - {g for g in present if g is not None}):
        yield Change(
            FUNCTIONS,
            (*key, "grant", grantee),
            f"{ident(grantee)} lacks EXECUTE on {name}",
            (st.grant(Sql("EXECUTE"), target, [grantee]),),
        )


# -- paybill's own rows ------------------------------------------------------------------
Row = tuple[object, ...]
Value = st.Value


def _normal(row: Row) -> Row:
    return tuple(tuple(v) if isinstance(v, list | tuple) else v for v in row)


def diff_rows(state: TargetState, live: LiveState) -> Iterator[Change]:
    desired: dict[str, dict[str, tuple[Value, ...]]] = {
        "workflows": {
            w.workflow: (
                w.workflow,
                w.max_steps,
                w.timeout_seconds,
                w.max_rows_per_step,
                w.steps,
                w.approval_steps,
            )
            for w in state.workflows
        },
        "tenants": {t.tenant: tenant_row(t) for t in state.tenants},
        "agents": {
            a.role: (a.role, tenant, a.agent, a.workflows, a.runs_per_day, a.concurrent_runs)
            for tenant, a in state.agents
        },
    }
    columns = {"workflows": WORKFLOW_COLUMNS, "tenants": TENANT_COLUMNS, "agents": AGENT_COLUMNS}
    for table, rows in desired.items():
        have = {k: _normal(v) for k, v in live.extra.rows.get(table, {}).items()}
        shown = f"{INTERNAL_SCHEMA}.{table}"
        key_column = columns[table][0]
        for key in sorted(set(have) - set(rows)):
            yield Change(
                ROWS,
                (table, "0", key),
                f"row {literal(key)} of {shown} is not in the spec",
                (st.delete_rows(INTERNAL_SCHEMA, table, [(key_column, key)]),),
            )
        for key, row in sorted(rows.items()):
            found = have.get(key)
            if found == _normal(row):
                continue
            if found is None:
                what = "is missing"
            else:
                differs = [
                    (c, a, b)
                    for c, a, b in zip(columns[table], found, _normal(row), strict=True)
                    if a != b
                ]
                what = "has " + ", ".join(f"{c} {_shown(a)}" for c, a, _ in differs)
                what += "; the spec says " + ", ".join(_shown(b) for _, _, b in differs)
            yield Change(
                ROWS,
                (table, "1", key),
                f"row {literal(key)} of {shown} {what}",
                (st.upsert(INTERNAL_SCHEMA, table, columns[table], [row], key_column),),
            )


def _shown(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, tuple):
        return "{" + ", ".join(str(v) for v in value) + "}"
    return literal(value) if isinstance(value, str) else str(value)
