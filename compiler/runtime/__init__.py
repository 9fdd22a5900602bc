"""Run an agent's workflows through the database functions the compiler generates.

    import psycopg
    from compiler.acl import AclSet
    from compiler.runtime import Agent

    conn = psycopg.connect(dsn, autocommit=True)  # a login granted the agent's role
    agent = Agent(conn, AclSet("generated/acl").tenant("acme"), "collections",
                  tools={"email-send": send_reminders})
    with agent.run("invoice-reminders") as run:
        overdue = run.step("find-overdue", where={"status": ["overdue"], ...})
        run.tool("notify", overdue)
        run.step("mark-sent", values={"reminder_sent_at": now}, where={"id": [...]})

It needs the ACL files and a connection, no spec. Each call is checked against the ACL
first (`compiler.acl.authorize`) and refused in the same words as `paybill acl check`
(`Denied`); the database then checks it again, whatever the client (`Refused`: run
limits, step order, approvals, row caps — what only the database can count).
"""

from compiler.runtime.agent import Agent, Denied, Refused, Run, approve
from compiler.runtime.arguments import call_arguments, tool_arguments

__all__ = ["Agent", "Denied", "Refused", "Run", "approve", "call_arguments", "tool_arguments"]
