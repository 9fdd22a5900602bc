"""References between documents and the rules that need more than one document.

Every case is a fixture spec under tests/fixtures/bad/resolve/ laid over the valid base spec;
each test asserts the whole output, file:line:column included.
"""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

from pathlib import Path

from tests.fixtures.specs import errors, expect


def test_tenant_references(workdir: Path) -> None:
    """A tenant's plan must exist and its region must be one of the platform's."""
    assert errors(workdir, "resolve/tenant-references") == expect(
        "spec/tenants/kappa.yaml:7:9: Tenant/kappa spec.plan: unknown plan 'bsic' (did you mean 'basic'?)",
        "spec/tenants/lambda.yaml:7:9: Tenant/lambda spec.plan: unknown plan 'platinum' (known: basic, enterprise, pro, trial)",
        "spec/tenants/lambda.yaml:8:11: Tenant/lambda spec.region: region 'eu-west-1' is not one of the platform's regions (Platform/fixture spec.regions: eu-central-1, us-east-1)",
        "spec/tenants/mu.yaml:8:11: Tenant/mu spec.region: region 'us-east-2' is not one of the platform's regions (Platform/fixture spec.regions: eu-central-1, us-east-1)",
    )


def test_tenant_pools(workdir: Path) -> None:
    """Pooled and bridge tenants need a pool in their region; silo tenants have none."""
    assert errors(workdir, "resolve/tenant-pools") == expect(
        "spec/tenants/kappa.yaml:6:1: Tenant/kappa spec.pool: missing required field 'pool': plan 'basic' is pooled (pools in us-east-1: us-pool)",
        "spec/tenants/lambda.yaml:6:1: Tenant/lambda spec.pool: missing required field 'pool': plan 'pro' is bridge (pools in eu-central-1: eu-pool)",
        "spec/tenants/mu.yaml:10:9: Tenant/mu spec.pool: silo tenants have no pool (plan 'enterprise' is silo) (remove 'pool'; everything of a silo tenant is dedicated)",
        "spec/tenants/nu.yaml:10:9: Tenant/nu spec.pool: pool 'us-pool' is in us-east-1, but the tenant is in eu-central-1 (a tenant's pool must be in the tenant's region)",
        "spec/tenants/xi.yaml:10:9: Tenant/xi spec.pool: unknown pool 'eu-pol' (did you mean 'eu-pool'?)",
    )


def test_agent_workflows(workdir: Path) -> None:
    """An agent's workflows must exist."""
    assert errors(workdir, "resolve/agent-workflows") == expect(
        "spec/agents.yaml:7:26: Agent/collector spec.workflows[1]: unknown workflow 'remindres' (did you mean 'reminders'?)",
        "spec/agents.yaml:7:37: Agent/collector spec.workflows[2]: unknown workflow 'escalations' (known: digest, exports, refunds, reminders)",
    )


def test_workflow_references(workdir: Path) -> None:
    """A workflow's feature, tables, columns and tools must exist."""
    assert errors(workdir, "resolve/workflow-references") == expect(
        "spec/more-workflows.yaml:6:20: Workflow/broken-references spec.requiresFeature: unknown feature 'reminder' (did you mean 'reminders'?)",
        "spec/more-workflows.yaml:11:22: Workflow/broken-references spec.steps[0].query.table: unknown table 'invoice' (did you mean 'invoices'?)",
        "spec/more-workflows.yaml:13:65: Workflow/broken-references spec.steps[1].query.columns[1]: table 'invoices' has no column 'amount' (did you mean 'amount_cents'?)",
        "spec/more-workflows.yaml:13:82: Workflow/broken-references spec.steps[1].query.where[0]: table 'invoices' has no column 'state' (did you mean 'status'?)",
        "spec/more-workflows.yaml:16:13: Workflow/broken-references spec.steps[2].tool: unknown tool 'email-sned' (did you mean 'email-send'?)",
        "spec/more-workflows.yaml:18:13: Workflow/broken-references spec.steps[3].tool: unknown tool 'pager' (known: email-send, refund-issue)",
        "spec/more-workflows.yaml:25:20: Workflow/nobody-grants spec.requiresFeature: unknown feature 'time-travel' (no plan grants it, so no agent could ever run this workflow)",
    )


def test_step_dag(workdir: Path) -> None:
    """`after` names other steps of the same workflow; step ids are unique."""
    assert errors(workdir, "resolve/step-dag") == expect(
        "spec/more-workflows.yaml:10:15: Workflow/tangled spec.steps[0].after[0]: step 'find' cannot run after itself",
        "spec/more-workflows.yaml:13:15: Workflow/tangled spec.steps[1].after[0]: unknown step 'fnd' (did you mean 'find'?)",
        "spec/more-workflows.yaml:13:20: Workflow/tangled spec.steps[1].after[1]: unknown step 'later' (known: find, notify)",
        "spec/more-workflows.yaml:15:11: Workflow/tangled spec.steps[2].id: step id 'notify' is used twice",
    )


def test_workflow_cycle(workdir: Path) -> None:
    """A cycle in `after` is reported once, with its whole path."""
    assert errors(workdir, "resolve/workflow-cycle") == expect(
        "spec/more-workflows.yaml:15:14: Workflow/circular spec.steps[2].after: steps form a cycle: first -> second -> third -> first ('after' must describe a DAG; remove one of these dependencies)",
    )


def test_pii(workdir: Path) -> None:
    """Reading, filtering on or writing a pii column needs `allowPii: true` on the step."""
    assert errors(workdir, "resolve/pii") == expect(
        "spec/more-workflows.yaml:10:65: Workflow/leaky spec.steps[0].query.columns[1]: column 'customer_email' of table 'invoices' holds personal data (pii) (add 'allowPii: true' to step 'read-emails' if the workflow needs it)",
        "spec/more-workflows.yaml:12:74: Workflow/leaky spec.steps[1].query.where[0]: column 'customer_email' of table 'invoices' holds personal data (pii) (add 'allowPii: true' to step 'find-by-email' if the workflow needs it)",
        "spec/more-workflows.yaml:14:61: Workflow/leaky spec.steps[2].query.columns[0]: column 'customer_email' of table 'invoices' holds personal data (pii) (add 'allowPii: true' to step 'overwrite-email' if the workflow needs it)",
    )


def test_max_steps(workdir: Path) -> None:
    """A workflow has at most limits.maxSteps steps."""
    assert errors(workdir, "resolve/max-steps") == expect(
        "spec/more-workflows.yaml:9:5: Workflow/long spec.steps: workflow has 3 steps but limits.maxSteps is 2 (raise limits.maxSteps or split the workflow)",
    )


def test_cron(workdir: Path) -> None:
    """Each cron field is within its range; names and steps are checked too."""
    assert errors(workdir, "resolve/cron") == expect(
        "spec/more-workflows.yaml:6:23: Workflow/minute-60 spec.trigger.schedule: schedule '60 9 * * *': minute 60 is outside 0-59",
        "spec/more-workflows.yaml:15:23: Workflow/hour-24 spec.trigger.schedule: schedule '0 24 * * *': hour 24 is outside 0-23",
        "spec/more-workflows.yaml:24:23: Workflow/day-0 spec.trigger.schedule: schedule '0 9 0 * *': day of month 0 is outside 1-31",
        "spec/more-workflows.yaml:33:23: Workflow/month-13 spec.trigger.schedule: schedule '0 9 1 1-13 *': month 13 is outside 1-12",
        "spec/more-workflows.yaml:42:23: Workflow/weekday-8 spec.trigger.schedule: schedule '0 9 * * 1,8': day of week 8 is outside 0-7",
        "spec/more-workflows.yaml:51:23: Workflow/bad-names spec.trigger.schedule: schedule '0 9 * foo mon-fry': 'foo' is not a valid month",
        "spec/more-workflows.yaml:60:23: Workflow/step-zero spec.trigger.schedule: schedule '*/0 9 * * *': step '/0' in the minute field must be a positive number",
    )


def test_tenant_column(workdir: Path) -> None:
    """Tenant-scoped tables carry a text, non-null tenant column that workflows set and never change."""
    assert errors(workdir, "resolve/tenant-column") == expect(
        "spec/more-schema.yaml:7:5: Table/notes spec.columns: tenant-scoped table has no 'tenant_id' column (add '- {name: tenant_id, type: text}' or set 'tenantScoped: false' for data shared by all tenants)",
        "spec/more-schema.yaml:17:31: Table/events spec.columns[1].type: the tenant column 'tenant_id' must be text (it holds tenant names), not uuid",
        "spec/more-schema.yaml:26:31: Table/logs spec.columns[1].type: the tenant column 'tenant_id' must be text (it holds tenant names), not varchar(20)",
        "spec/more-schema.yaml:26:54: Table/logs spec.columns[1].nullable: the tenant column 'tenant_id' cannot be nullable (a row without a tenant would be invisible to every tenant)",
        "spec/more-workflows.yaml:10:69: Workflow/tenant-hopping spec.steps[0].query.columns[1]: a workflow may not change the tenant column 'tenant_id' (rows never move between tenants)",
        "spec/more-workflows.yaml:12:60: Workflow/tenant-hopping spec.steps[1].query.columns: an insert into tenant-scoped table 'invoices' must set 'tenant_id' (add 'tenant_id' to the columns; each role may only write its own tenant id)",
    )


def test_tables(workdir: Path) -> None:
    """Column names are unique and one of them is the primary key; types come from an allow-list."""
    assert errors(workdir, "resolve/tables") == expect(
        "spec/more-schema.yaml:8:5: Table/notes spec.columns: table has no primary key (mark the identifying column with 'primaryKey: true')",
        "spec/more-schema.yaml:9:14: Table/notes spec.columns[1].name: column 'body' is defined twice",
        "spec/more-schema.yaml:19:14: Table/labels spec.columns[1].name: 'Title' is not valid here: must be a lowercase SQL identifier: letters, digits, '_' and '-', starting with a letter or '_', at most 63 characters",
        "spec/more-schema.yaml:20:24: Table/labels spec.columns[2].type: 'datetime' is not valid here: must be one of the column types text, uuid, boolean, smallint, integer, bigint, real, double precision, date, timestamptz, timestamp, jsonb, bytea, inet, numeric, numeric(P) or numeric(P,S), varchar(N)",
    )


def test_role_collision(workdir: Path) -> None:
    """Two tenant/agent pairs that map to the same database role name are refused."""
    assert errors(workdir, "resolve/role-collision") == expect(
        "spec/tenants/beta-night.yaml:4:9: Tenant/beta-night metadata.name: database role 'agent_beta_night_owl' would serve both tenant 'beta' with agent 'night-owl' and tenant 'beta-night' with agent 'owl' ('-' becomes '_' in role names; rename the tenant or the agent)",
    )


def test_cidr(workdir: Path) -> None:
    """Pool and silo networks are private, sized /16 to /24, written with their first address."""
    assert errors(workdir, "resolve/cidr") == expect(
        "spec/more-plans.yaml:12:21: Plan/public-silo spec.resources.network.cidr: '172.32.0.0/16' is not a private range (use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)",
        "spec/platform.yaml:12:23: Platform/fixture spec.pools[0].network.cidr: '8.8.0.0/16' is not a private range (use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)",
        "spec/platform.yaml:16:23: Platform/fixture spec.pools[1].network.cidr: '10.0.0.0/8' has a /8 prefix; it must be between /16 and /24 (the network is split into one private subnet per availability zone)",
        "spec/platform.yaml:20:23: Platform/fixture spec.pools[2].network.cidr: '10.12.0.1/16' has host bits set; a network is written with its first address (did you mean '10.12.0.0/16'?)",
        "spec/platform.yaml:23:15: Platform/fixture spec.pools[3].region: pool region 'ap-south-1' is not one of the platform's regions (add it to spec.regions: eu-central-1, us-east-1)",
        "spec/platform.yaml:24:23: Platform/fixture spec.pools[3].network.cidr: '10.300.0.0/16' is not a valid network: Octet 300 (> 255) not permitted in '10.300.0.0'",
        "spec/platform.yaml:26:13: Platform/fixture spec.pools[4].name: pool 'us-pool' is defined twice (also spec.pools[1])",
        "spec/platform.yaml:28:23: Platform/fixture spec.pools[4].network.cidr: '192.168.0.0/25' has a /25 prefix; it must be between /16 and /24 (the network is split into one private subnet per availability zone)",
    )


def test_tool_approval(workdir: Path) -> None:
    """A step cannot waive a tool's human approval."""
    assert errors(workdir, "resolve/tool-approval") == expect(
        "spec/more-workflows.yaml:11:17: Workflow/unapproved-refund spec.steps[0].approval: tool 'refund-issue' requires human approval; a step cannot waive it (remove 'approval: none', or change the Tool's approval if that is intended)",
    )


def test_plan_sizing(workdir: Path) -> None:
    """A plan's minTasks is at most its maxTasks; cpu and memory are a size Fargate runs."""
    assert errors(workdir, "resolve/plan-sizing") == expect(
        "spec/more-plans.yaml:11:51: Plan/upside-down spec.resources.compute.minTasks: minTasks (5) is larger than maxTasks (2)",
        "spec/more-plans.yaml:23:35: Plan/lopsided spec.resources.compute.memoryMb: a Fargate task with cpu 256 takes memoryMb from 512 to 2048 in steps of 512, not 4096",
    )


def test_all_together(workdir: Path) -> None:
    """Errors of parsing and of resolving, in several files, come together sorted by file and line;
    references to documents that failed to parse are not called unknown."""
    assert errors(workdir, "resolve/all-together") == expect(
        "spec/more-plans.yaml:7:14: Plan/gold spec.isolation: must be 'silo', 'pooled' or 'bridge', not the text 'golden'",
        "spec/more-schema.yaml:8:31: Table/vip-notes spec.columns[1].type: 'string' is not valid here: must be one of the column types text, uuid, boolean, smallint, integer, bigint, real, double precision, date, timestamptz, timestamp, jsonb, bytea, inet, numeric, numeric(P) or numeric(P,S), varchar(N)",
        "spec/more-workflows.yaml:13:61: Workflow/vip-care spec.steps[1].query.columns[0]: column 'customer_email' of table 'invoices' holds personal data (pii) (add 'allowPii: true' to step 'emails' if the workflow needs it)",
        "spec/tenants/kappa.yaml:8:11: Tenant/kappa spec.region: region 'ap-south-1' is not one of the platform's regions (Platform/fixture spec.regions: eu-central-1, us-east-1)",
        "spec/tenants/lambda.yaml:7:9: Tenant/lambda spec.plan: unknown plan 'silver' (known: basic, enterprise, pro, trial)",
    )


def test_column_defaults(workdir: Path) -> None:
    """A default is a value of its column's type (or now(), gen_random_uuid(), current_date
    where they fit), checked where it is written; the tenant column takes none; paybill's
    schema names are reserved."""
    assert errors(workdir, "resolve/defaults") == expect(
        "spec/more-schema.yaml:7:57: Table/notes spec.columns[0].default: default of column 'id': \"not-a-uuid\" is not a uuid (write a uuid, or gen_random_uuid() for a new one)",
        "spec/more-schema.yaml:8:46: Table/notes spec.columns[1].default: the tenant column 'tenant_id' takes no default (every row names its tenant; remove 'default')",
        "spec/more-schema.yaml:9:46: Table/notes spec.columns[2].default: default of column 'count': 40000 is not a smallint (a whole number from -32768 to 32767)",
        "spec/more-schema.yaml:10:44: Table/notes spec.columns[3].default: default of column 'flag': \"yes\" is not a boolean (write true or false)",
        "spec/more-schema.yaml:11:52: Table/notes spec.columns[4].default: default of column 'price': 1.234 has more than 2 decimal(s), which numeric(5,2) would round",
        "spec/more-schema.yaml:12:50: Table/notes spec.columns[5].default: default of column 'big': 12345 does not fit numeric(5,2)",
        "spec/more-schema.yaml:13:47: Table/notes spec.columns[6].default: default of column 'code': \"EUR\" is 3 characters, longer than varchar(2) holds",
        "spec/more-schema.yaml:14:40: Table/notes spec.columns[7].default: default of column 'due': \"2030-02-30\" is not a date (write YYYY-MM-DD, or current_date for the day of the insert)",
        "spec/more-schema.yaml:15:46: Table/notes spec.columns[8].default: default of column 'at': \"now\" is not a timestamptz (write '2030-01-31T09:00:00+00:00', or now() for the time of the insert)",
        "spec/more-schema.yaml:16:47: Table/notes spec.columns[9].default: default of column 'local': \"2030-01-01T09:00:00+02:00\" has a time zone offset; a timestamp has none (write '2030-01-31T09:00:00', or now() for the time of the insert)",
        "spec/more-schema.yaml:17:49: Table/notes spec.columns[10].default: default of column 'zoned': \"2030-01-01T09:00:00\" has no time zone offset (write '2030-01-31T09:00:00+00:00', or now() for the time of the insert)",
        "spec/more-schema.yaml:18:42: Table/notes spec.columns[11].default: default of column 'ratio': NaN is not a finite number",
        "spec/more-schema.yaml:19:41: Table/notes spec.columns[12].default: default of column 'raw': \"00ff\" is not bytea in hex (write '\\x' followed by hex digit pairs)",
        "spec/more-schema.yaml:20:41: Table/notes spec.columns[13].default: default of column 'addr': \"10.0.0.300\" is not an IP address",
        "spec/more-schema.yaml:21:41: Table/notes spec.columns[14].default: default of column 'body': {\"a\": 1} is not text; a text default is written as text",
        "spec/more-schema.yaml:28:11: Table/settings spec.schema: schema 'paybill_data' is reserved: paybill keeps its own tables and functions in schemas named paybill*, and PostgreSQL refuses names starting with pg_ (choose another schema name)",
    )
