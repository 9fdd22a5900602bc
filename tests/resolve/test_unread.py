"""A file that cannot be read does not hide what can be checked in the others: every other
problem is reported, and what could not be checked because of that file is said, once per
file. A reference is left unchecked only when the unread file could define what it names."""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

import shutil
from pathlib import Path

from tests.fixtures.specs import BASE, build, errors, errors_of, expect

# The error comes first: none of the file's documents can be read.
BROKEN_TOOLS = "kind: [Tool\n---\n" + (BASE / "tools.yaml").read_text()
TYPO_TENANT = """\
    apiVersion: paybill.dev/v1
    kind: Tenant
    metadata: {name: kappa}
    spec:
      displayName: Kappa
      plan: bsic
      region: us-east-1
      pool: us-pool
      state: active
      subscription: {status: active}
    """


def test_a_syntax_error_hides_no_reference_error_elsewhere(workdir: Path) -> None:
    assert errors(
        workdir, files={"tools.yaml": BROKEN_TOOLS, "tenants/kappa.yaml": TYPO_TENANT}
    ) == expect(
        "spec/tenants/kappa.yaml:6:9: Tenant/kappa spec.plan: unknown plan 'bsic' (did you mean 'basic'?)",
        "spec/tools.yaml: the file has a syntax error, so references that may be to documents in it were not checked: tool 'refund-issue' of Workflow/refunds, tool 'email-send' of Workflow/reminders (fix it, then run again)",
        "spec/tools.yaml:2:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1)",
    )


def test_names_the_broken_file_does_not_mention_are_still_checked(workdir: Path) -> None:
    """A tool the broken file never mentions cannot be in it: that reference is checked."""
    workflows = (
        (BASE / "workflows.yaml").read_text().replace("tool: email-send", "tool: e-mail-send")
    )
    assert errors(
        workdir, files={"tools.yaml": BROKEN_TOOLS, "workflows.yaml": workflows}
    ) == expect(
        "spec/tools.yaml: the file has a syntax error, so references that may be to documents in it were not checked: tool 'refund-issue' of Workflow/refunds (fix it, then run again)",
        "spec/tools.yaml:2:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1)",
        "spec/workflows.yaml:15:13: Workflow/reminders spec.steps[1].tool: unknown tool 'e-mail-send' (no tool could be read)",
    )


def test_without_its_platform_nothing_between_documents_is_checked_and_that_is_said(
    workdir: Path,
) -> None:
    platform = (BASE / "platform.yaml").read_text().replace("regions: [", "regions: [[")
    assert errors(
        workdir, files={"platform.yaml": platform, "tenants/kappa.yaml": TYPO_TENANT}
    ) == expect(
        "spec: references between documents were not checked: no Platform document could be read (it may be in spec/platform.yaml, which could not be read) (fix the files above, then run again)",
        "spec/platform.yaml:10:3: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 9)",
    )


def test_a_tenant_in_a_broken_file_is_not_called_removed(workdir: Path) -> None:
    """Against a base: gamma is live there, and its file here cannot be read."""
    shutil.copytree(BASE, workdir / "base")
    broken = (BASE / "tenants" / "gamma.yaml").read_text() + "  contacts: [{email: x@y.example}\n"
    build(workdir, files={"tenants/gamma.yaml": broken})
    assert errors_of(Path("spec"), "base") == expect(
        "spec/tenants/gamma.yaml: the file has a syntax error, so references that may be to documents in it were not checked: the removal of tenant 'gamma' (in base) (fix it, then run again)",
        "spec/tenants/gamma.yaml:15:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 14)",
    )


def test_a_document_refused_for_its_size_is_not_called_unknown(workdir: Path) -> None:
    plan = """\
        apiVersion: paybill.dev/v1
        kind: Plan
        metadata: {name: huge}
        spec:
          a: &a [x, x, x, x, x, x, x, x, x, x]
          b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
          c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
          d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
          e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
          f: [*e, *e]
        """
    tenant = TYPO_TENANT.replace("plan: bsic", "plan: huge")
    assert errors(workdir, files={"plans-huge.yaml": plan, "tenants/kappa.yaml": tenant}) == expect(
        "spec/plans-huge.yaml:5:22: document expands to more than 100,000 values (aliases (*name) and merge keys (<<) that repeat large anchors multiply; write the values out)",
    )
