"""Rules a single document states about itself, and the rules about the set of documents.

Every case is a fixture spec under tests/fixtures/bad/dsl/ laid over the valid base spec; each
test asserts the whole output, file:line:column included.
"""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

from pathlib import Path

from tests.fixtures.specs import errors, expect


def test_name_pattern(workdir: Path) -> None:
    """Names are 2-40 lowercase letters, digits and '-', start with a letter, end with no '-'."""
    assert errors(workdir, "dsl/name-pattern") == expect(
        "spec/more-tools.yaml:4:9: Tool/Chat_Post metadata.name: 'Chat_Post' is not valid here: must be 2-40 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'",
        "spec/more-tools.yaml:10:9: Tool/x metadata.name: 'x' is not valid here: must be 2-40 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'",
        "spec/more-tools.yaml:16:9: Tool/trailing- metadata.name: 'trailing-' is not valid here: must be 2-40 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'",
        "spec/more-tools.yaml:22:9: Tool/9lives metadata.name: '9lives' is not valid here: must be 2-40 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'",
        "spec/more-tools.yaml:28:9: Tool/a-name-of-forty-one-characters-is-too-lng metadata.name: 'a-name-of-forty-one-characters-is-too-lng' is not valid here: must be 2-40 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'",
    )


def test_duplicate_names(workdir: Path) -> None:
    """Names are unique per kind; the same name in two kinds is fine."""
    assert errors(workdir, "dsl/duplicate-names") == expect(
        "spec/tenants/alpha.yaml:4:9: Tenant/alpha metadata.name: Tenant 'alpha' is defined twice (first at spec/tenants/alpha-again.yaml:4:9) (names are unique per kind; rename or remove one)",
        "spec/tools.yaml:4:9: Tool/email-send metadata.name: Tool 'email-send' is defined twice (first at spec/more-tools.yaml:4:9) (names are unique per kind; rename or remove one)",
    )


def test_no_platform(workdir: Path) -> None:
    """A spec without a Platform says so once, naming the folder."""
    assert errors(workdir, "dsl/no-platform") == expect(
        "spec: no Platform document found (every spec has exactly one document of kind Platform)",
    )


def test_two_platforms(workdir: Path) -> None:
    """A second Platform is an error at its `kind`, naming where the first is."""
    assert errors(workdir, "dsl/two-platforms") == expect(
        "spec/platform.yaml:4:7: Platform/fixture kind: a second Platform document (the first is at spec/platform-us.yaml:1:1) (a spec has exactly one Platform)",
    )


def test_bad_kind(workdir: Path) -> None:
    """Unknown, missing and misspelt kinds, and a wrong apiVersion."""
    assert errors(workdir, "dsl/bad-kind") == expect(
        "spec/more.yaml:2:7: Tenantt/kappa kind: unknown kind 'Tenantt'; must be one of Platform, Plan, Tenant, Table, Tool, Agent, Workflow, BillingProvider (did you mean 'Tenant'?)",
        "spec/more.yaml:7:1: Document/no-kind kind: missing required field 'kind' (one of Platform, Plan, Tenant, Table, Tool, Agent, Workflow, BillingProvider)",
        "spec/more.yaml:12:13: Tool/from-the-future apiVersion: must be 'paybill.dev/v1', not the text 'paybill.dev/v2' (did you mean 'paybill.dev/v1'?)",
        "spec/more.yaml:19:7: Document/listed-kind kind: must be one of Platform, Plan, Tenant, Table, Tool, Agent, Workflow, BillingProvider, not a list",
    )


def test_not_a_mapping(workdir: Path) -> None:
    """Documents that are lists, text or numbers; empty documents are skipped."""
    assert errors(workdir, "dsl/not-a-mapping") == expect(
        "spec/more.yaml:1:1: Document#1: a document must be a mapping, not a list (start with 'apiVersion: paybill.dev/v1' and 'kind: ...')",
        # text is never quoted: the file could be anything (tests/test_error_limits.py)
        "spec/more.yaml:4:1: Document#2: a document must be a mapping, not text (14 characters) (start with 'apiVersion: paybill.dev/v1' and 'kind: ...')",
        "spec/more.yaml:8:1: Document#4: a document must be a mapping, not the number 42 (start with 'apiVersion: paybill.dev/v1' and 'kind: ...')",
    )


def test_missing_fields(workdir: Path) -> None:
    """Missing fields are shown at the key of the mapping that lacks them."""
    assert errors(workdir, "dsl/missing-fields") == expect(
        "spec/more-tools.yaml:1:1: Tool#1 metadata: missing required field 'metadata'",
        "spec/more-tools.yaml:3:1: Tool#1 spec.description: missing required field 'description'",
        "spec/tenants/kappa.yaml:5:1: Tenant/kappa spec.region: missing required field 'region'",
        "spec/tenants/kappa.yaml:5:1: Tenant/kappa spec.subscription: missing required field 'subscription'",
    )


def test_unknown_keys(workdir: Path) -> None:
    """Unknown keys point at the key, with the closest field; no second 'missing' error."""
    assert errors(workdir, "dsl/unknown-keys") == expect(
        "spec/tenants/kappa.yaml:5:3: Tenant/kappa metadata.lables: unknown field 'lables' (did you mean 'labels'?)",
        "spec/tenants/kappa.yaml:7:3: Tenant/kappa spec.displayname: unknown field 'displayname' (did you mean 'displayName'?)",
        "spec/tenants/kappa.yaml:14:14: Tenant/kappa spec.overrides.limits.seat: unknown field 'seat' (did you mean 'seats'?)",
        "spec/tenants/kappa.yaml:15:3: Tenant/kappa spec.colour: unknown field 'colour' (did you mean 'cloud'?)",
    )


def test_wrong_types(workdir: Path) -> None:
    """Wrong types name what was expected and what was written, with quoting hints."""
    assert errors(workdir, "dsl/wrong-types") == expect(
        "spec/more-tools.yaml:6:16: Tool/ledger-export spec.description: must be text, not the boolean true (YAML reads yes/no/on/off/true/false as booleans; put the value in quotes)",
        "spec/more-tools.yaml:14:16: Plan/odd spec.displayName: must be text, not the number 2024 (put the value in quotes)",
        "spec/more-tools.yaml:16:19: Plan/odd spec.limits.seats: must be a whole number, not the text 'many'",
        "spec/more-tools.yaml:16:36: Plan/odd spec.limits.storageGb: must be a whole number, not the number 2.5",
        "spec/more-tools.yaml:16:63: Plan/odd spec.limits.apiRequestsPerSecond: must be a whole number, not the boolean true",
        "spec/more-tools.yaml:17:13: Plan/odd spec.features: must be a list, not the text 'reminders'",
        "spec/more-tools.yaml:26:42: Table/notes spec.columns[0].primaryKey: must be true or false, not the text 'true'",
        "spec/more-tools.yaml:27:7: Table/notes spec.columns[1]: must be a mapping, not a list",
        "spec/more-tools.yaml:35:14: Agent/helper spec.workflows: must not be empty",
        "spec/more-tools.yaml:36:11: Agent/helper spec.limits: must be a mapping, not the number 5",
    )


def test_enums(workdir: Path) -> None:
    """Values outside an enum list the choices and suggest the closest."""
    assert errors(workdir, "dsl/enums") == expect(
        "spec/more-tools.yaml:7:11: Tool/wiper spec.effect: must be 'read', 'write', 'destructive' or 'external', not the text 'destroy'",
        "spec/more-tools.yaml:8:13: Tool/wiper spec.approval: must be 'none' or 'human', not the text 'maybe'",
        "spec/more-tools.yaml:16:14: Plan/shared spec.isolation: must be 'silo', 'pooled' or 'bridge', not the text 'shared'",
        "spec/more-tools.yaml:19:20: Plan/shared spec.resources.compute.cpu: must be 256, 512, 1024, 2048, 4096, 8192 or 16384, not the number 1000",
        "spec/tenants/kappa.yaml:10:10: Tenant/kappa spec.state: must be 'pending', 'active', 'suspended', 'offboarding' or 'deleted', not the text 'activ' (did you mean 'active'?)",
        "spec/tenants/kappa.yaml:11:26: Tenant/kappa spec.subscription.status: must be 'trialing', 'active', 'past_due', 'unpaid', 'paused' or 'canceled', not the text 'cancelled' (did you mean 'canceled'?)",
    )


def test_labels(workdir: Path) -> None:
    """Label keys follow a pattern and label values are text."""
    assert errors(workdir, "dsl/labels") == expect(
        "spec/more-tools.yaml:5:12: Tool/labelled metadata.labels.Team: 'Team' is not valid here: must be a label key: lowercase letters, digits, '.', '_', '/' and '-'",
        "spec/more-tools.yaml:5:40: Tool/labelled metadata.labels.cost-center: must be text, not the number 42 (put the value in quotes)",
    )


def test_repeated_items(workdir: Path) -> None:
    """Lists of names (workflows, features, columns, after) hold each name once."""
    assert errors(workdir, "dsl/repeated-items") == expect(
        "spec/more.yaml:7:14: Agent/repeater spec.workflows: 'reminders' is listed more than once",
        "spec/more.yaml:18:13: Plan/repeated spec.features: 'reminders' is listed more than once",
        "spec/more.yaml:29:60: Workflow/repeated-columns spec.steps[0].query.columns: 'id' is listed more than once",
        "spec/more.yaml:31:14: Workflow/repeated-columns spec.steps[1].after: 'find' is listed more than once",
    )
