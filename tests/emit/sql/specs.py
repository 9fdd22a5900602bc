"""Small spec folders for the SQL tests, as {file: YAML} for the `write_spec` fixture."""

from __future__ import annotations

PLATFORM = """
apiVersion: paybill.dev/v1
kind: Platform
metadata: {name: demo}
spec:
  cloud: aws
  regions: [eu-west-1]
  database: {name: demo, tenantColumn: TENANT_COLUMN}
  pools:
    - name: shared
      region: eu-west-1
      network: {cidr: 10.70.0.0/16}
      database: {engine: postgres, version: "15", instanceClass: db.r6g.large, storageGb: 100}
---
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: team}
spec:
  displayName: Team
  isolation: pooled
  limits: {seats: 5, storageGb: 1, apiRequestsPerSecond: 5, agentRunsPerDay: 10}
  features: [sync]
  billing: {trialDays: 0}
---
apiVersion: paybill.dev/v1
kind: Tenant
metadata: {name: acme}
spec:
  displayName: Acme
  plan: team
  region: eu-west-1
  pool: shared
  state: active
  subscription: {status: active}
---
apiVersion: paybill.dev/v1
kind: Tenant
metadata: {name: bolt-co}
spec:
  displayName: Bolt Co
  plan: team
  region: eu-west-1
  pool: shared
  state: active
  subscription: {status: active}
"""

# An agent that writes to a table every tenant of the pool shares.
SHARED_WRITE = {
    "platform.yaml": PLATFORM.replace("TENANT_COLUMN", "tenant_id"),
    "schema.yaml": """
        apiVersion: paybill.dev/v1
        kind: Table
        metadata: {name: rates}
        spec:
          tenantScoped: false
          columns:
            - {name: code, type: text, primaryKey: true}
            - {name: rate, type: numeric}
        """,
    "agents.yaml": """
        apiVersion: paybill.dev/v1
        kind: Agent
        metadata: {name: syncer}
        spec:
          description: Keeps exchange rates current
          workflows: [sync-rates]
          limits: {runsPerDay: 5, concurrentRuns: 1}
        ---
        apiVersion: paybill.dev/v1
        kind: Workflow
        metadata: {name: sync-rates}
        spec:
          requiresFeature: sync
          trigger: {event: rates.changed}
          limits: {maxSteps: 2, timeoutSeconds: 30, maxRowsPerStep: 10}
          steps:
            - id: read
              query: {table: rates, operation: select, columns: [code, rate], where: [code]}
            - id: write
              after: [read]
              query: {table: rates, operation: update, columns: [rate], where: [code]}
        """,
}

# Every name a keyword or with '-': schema, tables, columns, and the tenant column itself,
# which is a varchar here (PostgreSQL prints its policies differently from text).
KEYWORDS = {
    "platform.yaml": PLATFORM.replace("TENANT_COLUMN", "user"),
    "schema.yaml": """
        apiVersion: paybill.dev/v1
        kind: Table
        metadata: {name: from-items}
        spec:
          schema: select
          columns:
            - {name: order, type: bigint, primaryKey: true}
            - {name: user, type: varchar(64)}
            - {name: group-by, type: text}
            - {name: where, type: "numeric(7, 2)", nullable: true}
            - {name: secret, type: text, pii: true, nullable: true}
        """,
    "agents.yaml": """
        apiVersion: paybill.dev/v1
        kind: Agent
        metadata: {name: syncer}
        spec:
          description: Files items
          workflows: [file-items]
          limits: {runsPerDay: 5, concurrentRuns: 1}
        ---
        apiVersion: paybill.dev/v1
        kind: Workflow
        metadata: {name: file-items}
        spec:
          requiresFeature: sync
          trigger: {event: items.created}
          limits: {maxSteps: 3, timeoutSeconds: 30, maxRowsPerStep: 10}
          steps:
            - id: find
              query:
                {table: from-items, operation: select, columns: [order, group-by], where: [where]}
            - id: add
              query: {table: from-items, operation: insert, columns: [order, user, group-by]}
            - id: regroup
              after: [find]
              query: {table: from-items, operation: update, columns: [group-by], where: [order]}
        """,
}

# Two agents of one workflow with small limits, and a workflow with a one-second timeout:
# what the run and step functions count and refuse.
RUNS = {
    "platform.yaml": PLATFORM.replace("TENANT_COLUMN", "tenant_id").replace(
        "agentRunsPerDay: 10", "agentRunsPerDay: 3"
    ),
    "schema.yaml": """
        apiVersion: paybill.dev/v1
        kind: Table
        metadata: {name: tasks}
        spec:
          columns:
            - {name: id, type: uuid, primaryKey: true}
            - {name: tenant_id, type: text}
            - {name: status, type: text}
            - {name: note, type: text, nullable: true}
        """,
    "agents.yaml": """
        apiVersion: paybill.dev/v1
        kind: Agent
        metadata: {name: worker}
        spec:
          description: Does the chores
          workflows: [chores]
          limits: {runsPerDay: 2, concurrentRuns: 1}
        ---
        apiVersion: paybill.dev/v1
        kind: Agent
        metadata: {name: helper}
        spec:
          description: Helps, and is quick
          workflows: [chores, quick]
          limits: {runsPerDay: 5, concurrentRuns: 2}
        ---
        apiVersion: paybill.dev/v1
        kind: Workflow
        metadata: {name: chores}
        spec:
          requiresFeature: sync
          trigger: {event: tasks.due}
          limits: {maxSteps: 3, timeoutSeconds: 60, maxRowsPerStep: 2}
          steps:
            - id: read
              query: {table: tasks, operation: select, columns: [id, status], where: [status]}
            - id: mark
              after: [read]
              query: {table: tasks, operation: update, columns: [note], where: [status]}
            - id: purge
              after: [mark]
              query: {table: tasks, operation: delete, where: [id]}
        ---
        apiVersion: paybill.dev/v1
        kind: Workflow
        metadata: {name: quick}
        spec:
          requiresFeature: sync
          trigger: {event: tasks.due}
          limits: {maxSteps: 2, timeoutSeconds: 1, maxRowsPerStep: 5}
          steps:
            - id: look
              query: {table: tasks, operation: select, columns: [id], where: [status]}
        """,
}

# An agent whose steps name rows by their key, a delete and a destructive tool that need a
# person's approval: what approvals bind to, and what keeps references in the caller's tenant.
KEYED = {
    "platform.yaml": PLATFORM.replace("TENANT_COLUMN", "tenant_id"),
    "schema.yaml": RUNS["schema.yaml"],
    "agents.yaml": """
        apiVersion: paybill.dev/v1
        kind: Tool
        metadata: {name: refund-issue}
        spec:
          description: Refund a payment
          effect: destructive
        ---
        apiVersion: paybill.dev/v1
        kind: Agent
        metadata: {name: worker}
        spec:
          description: Does the chores
          workflows: [chores]
          limits: {runsPerDay: 50, concurrentRuns: 5}
        ---
        apiVersion: paybill.dev/v1
        kind: Workflow
        metadata: {name: chores}
        spec:
          requiresFeature: sync
          trigger: {event: tasks.due}
          limits: {maxSteps: 40, timeoutSeconds: 60, maxRowsPerStep: 5}
          steps:
            - id: read
              query: {table: tasks, operation: select, columns: [id, status], where: [id]}
            - id: find
              query: {table: tasks, operation: select, columns: [id], where: [status]}
            - id: mark
              after: [read]
              query: {table: tasks, operation: update, columns: [note], where: [id]}
            - id: purge
              after: [read]
              query: {table: tasks, operation: delete, where: [id]}
            - id: refund
              after: [read]
              tool: refund-issue
        """,
}
