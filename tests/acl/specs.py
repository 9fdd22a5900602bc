"""A small spec for gating fixtures: one pool, two plans, two workflows, one agent.

`fixture_spec()` returns {relative path: YAML}; tests replace single files (the tenants,
usually) to set up exactly the case they check, and write it with `write_spec`.

    plan basic: features [reports]            agentRunsPerDay 100
    plan plus:  features [reports, cleanup]   agentRunsPerDay null (unlimited)
    workflow report (needs reports):  read -> mail -> mark
    workflow purge  (needs cleanup):  find -> wipe (destructive tool) -> drop (delete)
    agent helper: [report, purge], 50 runs per day, 2 concurrent
"""

from __future__ import annotations

PLATFORM = """
apiVersion: paybill.dev/v1
kind: Platform
metadata: {name: demo}
spec:
  cloud: aws
  regions: [eu-central-1]
  database: {name: demo, tenantColumn: tenant_id}
  pools:
    - name: shared
      region: eu-central-1
      network: {cidr: 10.10.0.0/16}
      database: {engine: postgres, version: "15", instanceClass: db.r6g.large, storageGb: 100}
"""

PLANS = """
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: basic}
spec:
  displayName: Basic
  isolation: pooled
  limits: {seats: 5, storageGb: 1, apiRequestsPerSecond: 5, agentRunsPerDay: 100}
  features: [reports]
---
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: plus}
spec:
  displayName: Plus
  isolation: pooled
  limits: {seats: 50, storageGb: 10, apiRequestsPerSecond: 50, agentRunsPerDay: null}
  features: [reports, cleanup]
"""

SCHEMA = """
apiVersion: paybill.dev/v1
kind: Table
metadata: {name: accounts}
spec:
  columns:
    - {name: id, type: uuid, primaryKey: true}
    - {name: tenant_id, type: text}
    - {name: email, type: text, pii: true}
    - {name: status, type: text}
    - {name: seen_at, type: timestamptz, nullable: true}
"""

TOOLS = """
apiVersion: paybill.dev/v1
kind: Tool
metadata: {name: mailer}
spec: {description: Send a mail, effect: external}
---
apiVersion: paybill.dev/v1
kind: Tool
metadata: {name: wiper}
spec: {description: Wipe an account at the identity provider, effect: destructive}
"""

AGENTS = """
apiVersion: paybill.dev/v1
kind: Agent
metadata: {name: helper}
spec:
  description: Reports on accounts and purges stale ones
  workflows: [report, purge]
  limits: {runsPerDay: 50, concurrentRuns: 2}
"""

WORKFLOWS = """
apiVersion: paybill.dev/v1
kind: Workflow
metadata: {name: report}
spec:
  requiresFeature: reports
  trigger: {schedule: "0 6 * * *"}
  limits: {maxSteps: 5, timeoutSeconds: 60, maxRowsPerStep: 100}
  steps:
    - id: read
      query: {table: accounts, operation: select, columns: [id, email], where: [status]}
      allowPii: true
    - id: mail
      after: [read]
      tool: mailer
    - id: mark
      after: [mail]
      query: {table: accounts, operation: update, columns: [status], where: [id]}
---
apiVersion: paybill.dev/v1
kind: Workflow
metadata: {name: purge}
spec:
  requiresFeature: cleanup
  trigger: {event: account.stale}
  limits: {maxSteps: 3, timeoutSeconds: 30, maxRowsPerStep: 10}
  steps:
    - id: find
      query: {table: accounts, operation: select, columns: [id], where: [seen_at]}
    - id: wipe
      after: [find]
      tool: wiper
    - id: drop
      after: [wipe]
      query: {table: accounts, operation: delete, where: [id]}
"""


def tenant(name: str, plan: str = "basic", state: str = "active", extra: str = "") -> str:
    """One Tenant document; `extra` is more of its spec, indented by two spaces."""
    subscription = {"offboarding": "canceled", "deleted": "canceled"}.get(state, "active")
    confirm = f"  confirmDataDeletion: {name}\n" if state == "deleted" else ""
    return (
        f"apiVersion: paybill.dev/v1\nkind: Tenant\nmetadata: {{name: {name}}}\nspec:\n"
        f"  displayName: {name.title()}\n  plan: {plan}\n  region: eu-central-1\n"
        f"  pool: shared\n  state: {state}\n  subscription: {{status: {subscription}}}\n"
        f"{confirm}{extra}"
    )


def fixture_spec(**replace: str) -> dict[str, str]:
    """The whole spec; a keyword names a file (platform, plans, schema, tools, agents,
    workflows, tenants) and replaces its text."""
    files = {
        "platform": PLATFORM,
        "plans": PLANS,
        "schema": SCHEMA,
        "tools": TOOLS,
        "agents": AGENTS,
        "workflows": WORKFLOWS,
        "tenants": tenant("acme"),
    }
    files.update(replace)
    return {f"{name}.yaml": text for name, text in files.items()}
