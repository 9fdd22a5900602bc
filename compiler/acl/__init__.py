"""Enforce a compiled ACL at run time: load `acl/<tenant>.json`, ask `authorize`.

    from compiler.acl import AclSet, Query, authorize

    acls = AclSet("generated/acl")
    decision = authorize(acls.tenant("acme"), "collections", "invoice-reminders", "mark-sent",
                         Query("invoices", "update", ["reminder_sent_at"], ["id"], rows=1))
    if not decision.allowed:
        raise PermissionError(decision.reason)

This package reads only ACL files: it needs no spec, no network and nothing else of the
compiler, so an application can depend on it alone. `compiler.acl.cedar` asks the same
questions of the generated Cedar policy set.
"""

from compiler.acl.decide import Action, Query, ToolCall, authorize
from compiler.acl.grants import (
    Acl,
    AgentGrant,
    Decision,
    Denial,
    QueryGrant,
    StepGrant,
    ToolGrant,
    WorkflowGrant,
)
from compiler.acl.load import AclError, AclSet, load, load_tenant, parse
from compiler.acl.schema import SCHEMA_VERSION, acl_schema

__all__ = [
    "SCHEMA_VERSION",
    "Acl",
    "AclError",
    "AclSet",
    "Action",
    "AgentGrant",
    "Decision",
    "Denial",
    "Query",
    "QueryGrant",
    "StepGrant",
    "ToolCall",
    "ToolGrant",
    "WorkflowGrant",
    "acl_schema",
    "authorize",
    "load",
    "load_tenant",
    "parse",
]
