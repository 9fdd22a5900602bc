"""Row-level security: enabling and forcing it, and the policies that bind a role to the
rows of one tenant (its id as a literal) or of the agent calling a step function."""

from __future__ import annotations

from compiler.emit.sql.quote import Sql, ident, keyword, literal
from compiler.emit.sql.state import PolicyState
from compiler.emit.sql.statements.template import call, grantees, table_name


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


def create_policy(policy: PolicyState, tenant_column: str) -> Sql:
    predicate = (
        caller_predicate(tenant_column)
        if policy.bound == "caller"
        else tenant_predicate(tenant_column, policy.tenant)
    )
    return call(
        "create_policy",
        policy=ident(policy.name),
        table=table_name(policy.schema, policy.table),
        roles=grantees(policy.roles),
        predicate=predicate,
    )


def drop_policy(schema: str, table: str, policy: str, *, if_exists: bool = False) -> Sql:
    return call(
        "drop_policy",
        policy=ident(policy),
        table=table_name(schema, table),
        if_exists=Sql("IF EXISTS " if if_exists else ""),
    )
