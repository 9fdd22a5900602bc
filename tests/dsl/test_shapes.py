"""Shapes inside a document: steps, queries, triggers, plan resources, the platform.

These rules are in the pydantic models *and* in the JSON Schemas (tests/test_jsonschema.py
proves they agree), so editors flag them while typing.
"""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

from pathlib import Path

from tests.fixtures.specs import errors, expect


def test_platform_cloud(workdir: Path) -> None:
    """An unknown cloud gets the closest one; the state backend's type picks its shape."""
    assert errors(workdir, "dsl/platform-cloud") == expect(
        "spec/platform.yaml:6:10: Platform/fixture spec.cloud: must be 'aws', 'azure', 'gcp', 'oci' or 'ibm', not the text 'gpc' (did you mean 'gcp'?)",
        "spec/platform.yaml:8:24: Platform/fixture spec.stateBackend.type: must be 'local', 's3', 'azurerm', 'gcs' or 'oci', not the text 'gsc'",
        "spec/platform.yaml:14:26: Platform/fixture spec.pools[0].database.engine: must be 'postgres', not the text 'mysql'",
        "spec/platform.yaml:14:42: Platform/fixture spec.pools[0].database.version: '8' is not valid here: must be a PostgreSQL major version from 13 to 17, as text: \"15\"",
        "spec/platform.yaml:14:87: Platform/fixture spec.pools[0].database.storageGb: must be at least 20, not 10 (database storage in GiB: 20 to 65,536, what RDS for PostgreSQL allocates)",
    )


def test_platform_names(workdir: Path) -> None:
    """The state path stays inside each stack's folder; the database name is one RDS takes."""
    assert errors(workdir, "dsl/platform-names") == expect(
        "spec/platform.yaml:8:37: Platform/fixture spec.stateBackend.path: '../shared.tfstate' is not valid here: must be a relative file path such as 'terraform.tfstate' (no segment may start with '.')",
        "spec/platform.yaml:9:20: Platform/fixture spec.database.name: 'app-db' is not valid here: must be a database name RDS accepts: a lowercase letter, then lowercase letters, digits and '_', at most 63 characters",
    )


def test_query_or_tool(workdir: Path) -> None:
    """A step has a query or a tool, not both and not neither."""
    assert errors(workdir, "dsl/query-or-tool") == expect(
        "spec/more-workflows.yaml:9:7: Workflow/both-and-neither spec.steps[0]: a step has exactly one of 'query' or 'tool'",
        "spec/more-workflows.yaml:12:7: Workflow/both-and-neither spec.steps[1]: a step has exactly one of 'query' or 'tool'",
    )


def test_query_shape(workdir: Path) -> None:
    """update/delete need `where`, select/insert/update need `columns`; no upsert."""
    assert errors(workdir, "dsl/query-shape") == expect(
        "spec/more-workflows.yaml:10:14: Workflow/sloppy-queries spec.steps[0].query: 'update' needs a non-empty 'where' list, so it cannot touch every row",
        "spec/more-workflows.yaml:12:14: Workflow/sloppy-queries spec.steps[1].query: 'delete' needs a non-empty 'where' list, so it cannot touch every row",
        "spec/more-workflows.yaml:14:14: Workflow/sloppy-queries spec.steps[2].query: 'select' needs a non-empty 'columns' list",
        "spec/more-workflows.yaml:16:14: Workflow/sloppy-queries spec.steps[3].query: 'insert' takes no 'where'",
        "spec/more-workflows.yaml:18:14: Workflow/sloppy-queries spec.steps[4].query: 'delete' removes whole rows and takes no 'columns'",
        "spec/more-workflows.yaml:20:43: Workflow/sloppy-queries spec.steps[5].query.operation: must be 'select', 'insert', 'update' or 'delete', not the text 'upsert' (did you mean 'insert'?)",
    )


def test_trigger_shape(workdir: Path) -> None:
    """A trigger is a schedule or an event; both must be well-formed."""
    assert errors(workdir, "dsl/trigger-shape") == expect(
        "spec/more-workflows.yaml:6:12: Workflow/two-triggers spec.trigger: a trigger has exactly one of 'schedule' or 'event'",
        "spec/more-workflows.yaml:16:12: Workflow/no-trigger spec.trigger: a trigger has exactly one of 'schedule' or 'event'",
        "spec/more-workflows.yaml:26:23: Workflow/bad-trigger-text spec.trigger.schedule: 'every day at 9' is not valid here: must be a five-field cron schedule such as '0 9 * * *', or @hourly/@daily/...",
        "spec/more-workflows.yaml:26:48: Workflow/bad-trigger-text spec.trigger.event: 'Invoice-Overdue' is not valid here: must be a dotted event name such as 'invoice.overdue'",
        "spec/more-workflows.yaml:27:22: Workflow/bad-trigger-text spec.limits.maxSteps: must be at least 1, not 0 (steps: 1 to 100)",
        "spec/more-workflows.yaml:28:10: Workflow/bad-trigger-text spec.steps: must not be empty",
    )


def test_plan_resources(workdir: Path) -> None:
    """What each isolation needs dedicated, and bounds on sizes and billing."""
    assert errors(workdir, "dsl/plan-resources") == expect(
        "spec/more-plans.yaml:9:3: Plan/pooled-with-resources spec.resources: pooled plans have no dedicated resources; remove 'resources' (pooled tenants share their pool's database and compute)",
        "spec/more-plans.yaml:20:3: Plan/silo-without-compute spec.resources: silo plans need resources.compute to size what is dedicated to each tenant",
        "spec/more-plans.yaml:29:3: Plan/silo-without-resources spec.isolation: silo plans need resources.database and resources.compute to size what is dedicated to each tenant",
        "spec/more-plans.yaml:42:5: Plan/bridge-with-network spec.resources.network: bridge tenants use their pool's network; remove resources.network",
        "spec/more-plans.yaml:51:19: Plan/undersized spec.limits.seats: must be at least 0, not -1 (seats: 0 to 10,000,000)",
        "spec/more-plans.yaml:53:31: Plan/undersized spec.resources.database.instanceClass: 't4g.small' is not valid here: must be an RDS instance class such as 'db.r6g.large'",
        "spec/more-plans.yaml:53:53: Plan/undersized spec.resources.database.storageGb: must be at least 20, not 10 (database storage in GiB: 20 to 65,536, what RDS for PostgreSQL allocates)",
        "spec/more-plans.yaml:53:66: Plan/undersized spec.resources.database.version: '12' is not valid here: must be a PostgreSQL major version from 13 to 17, as text: \"15\"",
        "spec/more-plans.yaml:54:24: Plan/undersized spec.billing.trialDays: must be at most 365, not 400 (days: 0 to 365)",
    )


def test_every_number_has_a_range(workdir: Path) -> None:
    """A number past what its provider accepts is an error here, not a failure in Terraform
    later; `1.0e+300` is a whole number to YAML, and is shown short."""
    assert errors(workdir, "dsl/number-ranges") == expect(
        "spec/agents.yaml:25:24: Agent/flood spec.limits.runsPerDay: must be at most 1,000,000, not 1,000,000,000,000 (runs per day: 1 to 1,000,000)",
        "spec/agents.yaml:25:49: Agent/flood spec.limits.concurrentRuns: must be at most 1,000, not 5,000 (runs at the same time: 1 to 1,000)",
        "spec/more-plans.yaml:8:13: Plan/huge spec.limits.seats: must be at most 10,000,000, not 1e+15 (seats: 0 to 10,000,000)",
        "spec/more-plans.yaml:8:33: Plan/huge spec.limits.storageGb: must be at most 1,000,000, not 2,000,000 (storage entitled, in GB: 0 to 1,000,000)",
        "spec/more-plans.yaml:8:64: Plan/huge spec.limits.apiRequestsPerSecond: must be at most 10,000, not 1e+300 (steady requests per second of the tenant's API key, bursts twice that: 0 to 10,000, API Gateway's throttle for an account in a region)",
        "spec/more-plans.yaml:8:91: Plan/huge spec.limits.agentRunsPerDay: must be at most 1,000,000, not 1,000,001 (agent runs per day: 0 to 1,000,000)",
        "spec/more-plans.yaml:9:29: Plan/huge spec.limits.agentStepsPerWorkflow: must be at most 100, not 101 (steps of any one workflow: 1 to 100, as maxSteps)",
        "spec/more-plans.yaml:9:52: Plan/huge spec.limits.agentRowsPerStep: must be at most 1,000,000, not 10,000,000 (rows any one step may touch: 1 to 1,000,000, as maxRowsPerStep)",
        "spec/more-plans.yaml:11:56: Plan/huge spec.resources.database.storageGb: must be at most 65,536, not 100,000 (database storage in GiB: 20 to 65,536, what RDS for PostgreSQL allocates)",
        "spec/more-plans.yaml:12:36: Plan/huge spec.resources.compute.memoryMb: must be at most 122,880, not 1e+20 (memory of a task in MiB: 512 to 122,880, what Fargate runs)",
        "spec/more-plans.yaml:12:55: Plan/huge spec.resources.compute.minTasks: must be at most 5,000, not 6,000 (tasks: 0 to 5,000, what ECS runs for one service)",
        "spec/more-plans.yaml:12:71: Plan/huge spec.resources.compute.maxTasks: must be at most 5,000, not 9,999 (tasks: 1 to 5,000, what ECS runs for one service)",
        "spec/more-plans.yaml:13:44: Plan/huge spec.billing.gracePeriodDays: must be at most 365, not 36,500 (days: 0 to 365)",
        "spec/more-workflows.yaml:8:35: Workflow/forever spec.limits.timeoutSeconds: must be at most 86,400, not 864,000 (seconds: 1 to 86,400, one day)",
        "spec/more-workflows.yaml:8:59: Workflow/forever spec.limits.maxRowsPerStep: must be at most 1,000,000, not 1e+100 (rows one step may touch: 1 to 1,000,000)",
        "spec/tenants/kappa.yaml:12:52: Tenant/kappa spec.overrides.limits.apiRequestsPerSecond: must be at most 10,000, not 50,000 (steady requests per second of the tenant's API key, bursts twice that: 0 to 10,000, API Gateway's throttle for an account in a region)",
    )
