"""Typed calls into templates/statements.sql.j2: names in, one quoted statement out.

This is where names from the spec are quoted (via `quote`) before a template lays them
out; the generated files (`render*.py`) and `paybill sql apply` (`compiler.sqlops`) both
build their SQL here, so the two cannot drift apart in syntax. One module per kind of
object, all reached through this one name (`from compiler.emit.sql import statements as st`):

    template     the template environment; role lists, qualified names, text arrays
    roles        roles and memberships
    tables       schemas, tables, columns, keys, indexes
    privileges   GRANT and REVOKE
    security     row-level security and policies
    rows         paybill's own rows
    routines     functions as catalog objects: owner, drop, which ones to keep
    database     session settings of the database, the apply lock
    undo         what undoes hand changes paybill never makes (triggers, rules, routines
                 in managed schemas, role settings, database and default privileges)
"""

from __future__ import annotations

from compiler.emit.sql.statements.database import (
    current_database_setting,
    database_setting,
    lock_table,
    lock_timeout,
)
from compiler.emit.sql.statements.privileges import (
    Privileges,
    grant,
    on_all_tables,
    on_functions,
    on_schema,
    on_table,
    on_tables,
    privilege_clause,
    privileges_clause,
    revoke,
    revoke_grant_option,
)
from compiler.emit.sql.statements.roles import (
    ROLE_OPTIONS,
    alter_role,
    comment_on_role,
    create_marked_roles,
    create_role,
    create_role_if_missing,
    drop_role,
    grant_membership,
    keep_memberships,
    let_applier_own,
    retire_roles,
    revoke_admin_option,
    revoke_membership,
    role_options,
)
from compiler.emit.sql.statements.routines import (
    FUNCTION_SHAPE,
    alter_function_owner,
    alter_functions_owner,
    drop_function,
    keep_functions,
)
from compiler.emit.sql.statements.rows import Value, delete_rows, keep_rows, upsert, value
from compiler.emit.sql.statements.security import (
    CALLER_TENANT,
    bind_policies,
    caller_predicate,
    create_policy,
    drop_policy,
    row_security,
    tenant_predicate,
)
from compiler.emit.sql.statements.tables import (
    DEFAULT_EXPRESSIONS,
    add_column,
    alter_schema_owner,
    alter_table_owner,
    column_defaults,
    column_definition,
    create_index,
    create_schema,
    create_table,
    default_expression,
    drop_index,
    ensure_primary_keys,
    replace_primary_key,
    set_default,
)
from compiler.emit.sql.statements.template import (
    Grantee,
    environment,
    grantees,
    table_name,
    text_array,
)
from compiler.emit.sql.statements.undo import (
    DEFAULT_OBJECTS,
    drop_routine,
    drop_rule,
    drop_trigger,
    reset_role_setting,
    revoke_default_privileges,
    revoke_on_database,
)

__all__ = [
    "CALLER_TENANT",
    "DEFAULT_EXPRESSIONS",
    "DEFAULT_OBJECTS",
    "FUNCTION_SHAPE",
    "ROLE_OPTIONS",
    "Grantee",
    "Privileges",
    "Value",
    "add_column",
    "alter_function_owner",
    "alter_functions_owner",
    "alter_role",
    "alter_schema_owner",
    "alter_table_owner",
    "bind_policies",
    "caller_predicate",
    "column_defaults",
    "column_definition",
    "comment_on_role",
    "create_index",
    "create_marked_roles",
    "create_policy",
    "create_role",
    "create_role_if_missing",
    "create_schema",
    "create_table",
    "current_database_setting",
    "database_setting",
    "default_expression",
    "delete_rows",
    "drop_function",
    "drop_index",
    "drop_policy",
    "drop_role",
    "drop_routine",
    "drop_rule",
    "drop_trigger",
    "ensure_primary_keys",
    "environment",
    "grant",
    "grant_membership",
    "grantees",
    "keep_functions",
    "keep_memberships",
    "keep_rows",
    "let_applier_own",
    "lock_table",
    "lock_timeout",
    "on_all_tables",
    "on_functions",
    "on_schema",
    "on_table",
    "on_tables",
    "privilege_clause",
    "privileges_clause",
    "replace_primary_key",
    "reset_role_setting",
    "retire_roles",
    "revoke",
    "revoke_admin_option",
    "revoke_default_privileges",
    "revoke_grant_option",
    "revoke_membership",
    "revoke_on_database",
    "role_options",
    "row_security",
    "set_default",
    "table_name",
    "tenant_predicate",
    "text_array",
    "upsert",
    "value",
]
