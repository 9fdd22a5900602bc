"""Row-level security: enabling and forcing it, and the policies that bind a role to the
rows of one tenant (its id as a literal) or of the agent calling a step function."""

from __future__ import annotations

from collections.abc import Sequence

from compiler.emit.sql.quote import Sql, ident, keyword, literal
from compiler.emit.sql.state import PolicyState
from compiler.emit.sql.statements.template import call, grantees, table_name, text_array


def row_security(schema: str, table: str, action: str) -> Sql:
    """`action`: ENABLE, FORCE, DISABLE or NO FORCE."""
    return call("row_security", table=table_name(schema, table), action=keyword(action))


def tenant_predicate(tenant_column: str, tenant: str) -> Sql:
    """The whole policy condition: the tenant column equals the tenant's own id, as a
    literal. No session variable, no function: nothing a session can SET changes it."""
    return call("tenant_predicate", column=ident(tenant_column), tenant=literal(tenant))


CALLER_TENANT = Sql(
    '(SELECT a."tenant" FROM "paybill"."agents" AS a WHERE a."role" = "paybill"."caller_role"())'
)


def caller_predicate(tenant_column: str) -> Sql:
    """The steps role's condition: the tenant column equals the tenant of the agent calling
    the step function, read from the session's role, which no session can forge (SET ROLE
    needs membership). A scalar subquery, so it is read once per statement."""
    return call("tenant_predicate", column=ident(tenant_column), tenant=CALLER_TENANT)


def create_policy(policy: PolicyState, tenant_column: str, table: Sql | None = None) -> Sql:
    """`table`: another table than the policy's (the placeholder of `bind_policies`)."""
    predicate = (
        caller_predicate(tenant_column)
        if policy.bound == "caller"
        else tenant_predicate(tenant_column, policy.tenant)
    )
    return call(
        "create_policy",
        policy=ident(policy.name),
        table=table or table_name(policy.schema, policy.table),
        roles=grantees(policy.roles),
        predicate=predicate,
    )


def drop_policy(
    schema: str, table: str, policy: str, *, if_exists: bool = False, on: Sql | None = None
) -> Sql:
    """`on`: another table than `schema`.`table` (the placeholder of `bind_policies`)."""
    return call(
        "drop_policy",
        policy=ident(policy),
        table=on or table_name(schema, table),
        if_exists=Sql("IF EXISTS " if if_exists else ""),
    )


_EACH_TABLE = Sql("\x01table\x01")  # where `bind_policies` puts each table of its loop


def bind_policies(policies: Sequence[PolicyState], tenant_column: str) -> list[Sql]:
    """(Re)create `policies`: DROP POLICY IF EXISTS and CREATE POLICY. Policies that differ
    only in their table (a tenant's on every tenant-scoped table) share one block that runs
    the two statements for each table of a list: the statements are written once, as
    `format` strings whose only placeholder is the table (every other `%` doubled)."""
    runs: dict[tuple[str, str, tuple[str, ...], str], list[PolicyState]] = {}
    for policy in policies:
        runs.setdefault((policy.name, policy.tenant, policy.roles, policy.bound), []).append(policy)
    out: list[Sql] = []
    for run in runs.values():
        first = run[0]
        if len(run) == 1:
            out.append(drop_policy(first.schema, first.table, first.name, if_exists=True))
            out.append(create_policy(first, tenant_column))
            continue
        drop = drop_policy("", "", first.name, if_exists=True, on=_EACH_TABLE)
        create = create_policy(first, tenant_column, table=_EACH_TABLE)
        out.append(
            call(
                "bind_policies",
                tables=text_array([table_name(p.schema, p.table) for p in run]),
                drop=_format_string(drop),
                create=_format_string(create),
            )
        )
    return out


def _format_string(statement: Sql) -> Sql:
    """`statement` as the literal `format` string of `bind_policies`, WITH CHECK on a line of
    its own (the caller's condition is long)."""
    text = statement.rstrip(";").replace(") WITH CHECK (", ")\n  WITH CHECK (")
    text = text.replace("%", "%%")
    return literal(text.replace(_EACH_TABLE, "%s"))
