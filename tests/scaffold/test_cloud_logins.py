"""The workflows log in to the clouds the spec uses, and to no other: AWS alone gives the
files as they are (byte for byte); a spec with pools on Azure and Google Cloud gets exactly
those two logins beside AWS's, after `paybill init --update .`; every login is pinned and
actionlint-clean; key-based logins never print their secret."""

from __future__ import annotations

import re
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.cli import main
from compiler.emit.stacks.backend import S3_COMPATIBLE_PROFILE
from compiler.pipeline import validate
from compiler.scaffold import logins
from compiler.scaffold.templates import WORKFLOWS, render_files
from tests.scaffold.test_workflows import PIN, load, workflows
from tests.test_ci_files import actionlint

LOGGING_IN = {  # workflow -> the moment its credentials are for
    "paybill-plan.yml": "PLAN",
    "paybill-apply-wave.yml": "APPLY",
    "paybill-drift.yml": "DRIFT",
}
ACTIONS = {
    "aws": "aws-actions/configure-aws-credentials",
    "azure": "azure/login",
    "gcp": "google-github-actions/auth",
}
MULTI_CLOUD = """\
  clouds:
    azure:
      regions: [westeurope]
      subscriptionId: 00000000-0000-0000-0000-000000000001
      tenantId: 00000000-0000-0000-0000-000000000002
      stateBackend:
        {type: azurerm, resourceGroup: tfstate, storageAccount: acmetf, container: tfstate}
    gcp:
      regions: [europe-west1]
      project: acme-prod
      stateBackend: {type: gcs, bucket: acme-tf}
    oci:
      regions: [eu-frankfurt-1]
      compartmentId: ocid1.compartment.oc1..aaaaexample
      stateBackend: {type: oci, bucket: acme-tf, namespace: acme}
"""
POOLS = """\
    - name: eu-azure
      cloud: azure
      region: westeurope
      network: {cidr: 10.40.0.0/16}
      database: {engine: postgres, version: "15", size: {vcpu: 4, memoryGb: 16}, storageGb: 50}
    - name: eu-gcp
      cloud: gcp
      region: europe-west1
      network: {cidr: 10.50.0.0/16}
      database: {engine: postgres, version: "15", size: {vcpu: 4, memoryGb: 16}, storageGb: 50}
"""
TENANT = """\
apiVersion: paybill.dev/v1
kind: Tenant
metadata: {{name: {name}}}
spec:
  displayName: {name}
  plan: starter
  region: {region}
  pool: {pool}
  state: active
  subscription: {{status: active}}
"""


def sources() -> dict[str, bytes]:
    """The workflow files as paybill ships them."""
    folder = files("compiler.scaffold") / "files" / "dot-github" / "workflows"
    return {entry.name: entry.read_bytes() for entry in folder.iterdir()}


def logins_of(path: Path) -> list[tuple[str, str]]:
    """(step name, action or "run") of every credentials step, in order."""
    data = load(path)
    (job,) = data["jobs"].values()
    return [
        (step["name"], str(step.get("uses", "run")).partition("@")[0])
        for step in job["steps"]
        if "credentials" in step.get("name", "")
    ]


def to_multi_cloud(repository: Path) -> None:
    """Pools on Azure and Google Cloud, a tenant in each; Oracle declared, used by none."""
    platform = repository / "spec" / "platform.yaml"
    text = platform.read_text()
    text = text.replace("  database: {name: app", MULTI_CLOUD + "  database: {name: app", 1)
    text = text.replace("  # Each silo tenant's own network", POOLS + "  # Each silo", 1)
    platform.write_text(text)
    tenants = repository / "spec" / "tenants"
    for name, region, pool in (
        ("fabrikam", "westeurope", "eu-azure"),
        ("contoso", "europe-west1", "eu-gcp"),
    ):
        (tenants / f"{name}.yaml").write_text(TENANT.format(name=name, region=region, pool=pool))


def test_a_spec_on_aws_alone_gets_the_workflow_files_byte_for_byte(scaffolded: Path) -> None:
    shipped = sources()
    written = {p.name: p.read_bytes() for p in workflows(scaffolded)}
    assert written == shipped
    for name, content in shipped.items():
        assert logins.expand(content.decode(), ["aws"]).encode() == content, name
    for name in LOGGING_IN:
        assert [action for _, action in logins_of(scaffolded / WORKFLOWS / name)] == [
            ACTIONS["aws"]
        ]


def test_azure_and_gcp_in_use_get_exactly_those_logins_beside_aws(repository: Path) -> None:
    to_multi_cloud(repository)
    assert logins.used_clouds(validate(repository / "spec")) == ("aws", "azure", "gcp")
    assert main(["init", str(repository), "--update"]) == 0
    for name, moment in LOGGING_IN.items():
        path = repository / WORKFLOWS / name
        assert logins_of(path) == [
            ("Cloud credentials (OIDC)", ACTIONS["aws"]),
            ("Azure credentials (OIDC)", ACTIONS["azure"]),
            ("Azure credentials for Terraform (OIDC)", "run"),
            ("Google Cloud credentials (workload identity federation)", ACTIONS["gcp"]),
        ], name
        steps = {s.get("name"): s for job in load(path)["jobs"].values() for s in job["steps"]}
        assert steps["Azure credentials (OIDC)"]["with"] == {
            "client-id": f"${{{{ vars.PAYBILL_AZURE_{moment}_CLIENT_ID }}}}",
            "tenant-id": "${{ vars.PAYBILL_AZURE_TENANT_ID }}",
            "subscription-id": "${{ vars.PAYBILL_AZURE_SUBSCRIPTION_ID }}",
        }
        assert steps["Google Cloud credentials (workload identity federation)"]["with"] == {
            "workload_identity_provider": "${{ vars.PAYBILL_GCP_WORKLOAD_IDENTITY_PROVIDER }}",
            "service_account": f"${{{{ vars.PAYBILL_GCP_{moment}_SERVICE_ACCOUNT }}}}",
        }
        text = path.read_text()
        assert "secrets." not in text.split("Database addresses")[0], name  # OIDC only
        assert "OCI" not in text, name  # declared, used by nothing: no login
        assert "IBM" not in text, name
    findings = actionlint(*workflows(repository))
    assert [f"{Path(f['file']).name}:{f['line']}: {f['message']}" for f in findings] == []
    # The workflows that log in nowhere are as shipped.
    shipped = sources()
    for name in ("paybill-apply.yml", "paybill-billing.yml"):
        assert (repository / WORKFLOWS / name).read_bytes() == shipped[name]


def test_a_spec_that_leaves_aws_logs_in_to_its_clouds_only() -> None:
    text = sources()["paybill-drift.yml"].decode()
    expanded = logins.expand(text, ["gcp"])
    assert "aws-actions/configure-aws-credentials" not in expanded
    assert "PAYBILL_GCP_DRIFT_SERVICE_ACCOUNT" in expanded


def test_every_cloud_at_once_is_pinned_and_actionlint_clean(tmp_path: Path) -> None:
    rendered = render_files(None, logins.CLOUDS)
    folder = tmp_path / "workflows"
    folder.mkdir()
    for path, content in rendered.items():
        if path.startswith(f"{WORKFLOWS}/"):
            (folder / Path(path).name).write_bytes(content)
    paths = sorted(folder.glob("*.yml"))
    findings = actionlint(*paths)
    assert [f"{Path(f['file']).name}:{f['line']}: {f['message']}" for f in findings] == []
    for path in paths:
        for line in path.read_text().splitlines():
            if "uses:" in line and "uses: ./" not in line:
                assert PIN.match(line), line
    plan = (folder / "paybill-plan.yml").read_text()
    assert [name for name, _ in logins_of(folder / "paybill-plan.yml")] == [
        "Cloud credentials (OIDC)",
        "Azure credentials (OIDC)",
        "Azure credentials for Terraform (OIDC)",
        "Google Cloud credentials (workload identity federation)",
        "Oracle Cloud credentials (API key)",
        "IBM Cloud credentials (API key)",
    ]
    assert "secrets.PAYBILL_OCI_PLAN_PRIVATE_KEY" in plan
    assert "secrets.PAYBILL_IBM_PLAN_API_KEY" in plan


@pytest.mark.parametrize("cloud", ["oci", "ibm"])
def test_a_key_is_written_where_its_tools_read_it_and_never_printed(
    cloud: str, tmp_path: Path
) -> None:
    """Run the step's script as the runner would: the key reaches the OCI config or
    GITHUB_ENV, the log holds none of it, and a missing secret fails with its name."""
    step = _step(cloud)
    secret = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-VALUE\n-----END PRIVATE KEY-----"
    home, env_file = tmp_path / "home", tmp_path / "github_env"
    home.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "GITHUB_ENV": str(env_file),
        **{k: secret if "secrets." in v else f"value-of-{k}" for k, v in step["env"].items()},
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "TOP-SECRET" not in done.stdout + done.stderr
    if cloud == "oci":
        key = home / ".oci" / "paybill_api_key.pem"
        assert key.read_text() == secret + "\n"
        assert key.stat().st_mode & 0o777 == 0o600
        config = (home / ".oci" / "config").read_text()
        assert config == (
            "[DEFAULT]\nuser=value-of-USER_OCID\nfingerprint=value-of-FINGERPRINT\n"
            f"tenancy=value-of-TENANCY\nregion=value-of-REGION\nkey_file={key}\n"
        )
    else:
        assert env_file.read_text() == f"IC_API_KEY={secret}\n"
        credentials = home / ".aws" / "credentials"
        assert credentials.read_text() == (
            f"[{S3_COMPATIBLE_PROFILE}]\naws_access_key_id={secret}\n"
            f"aws_secret_access_key={secret}\n"
        )
        assert credentials.stat().st_mode & 0o777 == 0o600
    missing = {**env, **{k: "" for k, v in step["env"].items() if "secrets." in v}}
    failed = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        env=missing,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1
    assert f"the secret PAYBILL_{cloud.upper()}_PLAN_" in failed.stderr


def _step(cloud: str) -> dict[str, Any]:
    text = logins.steps([cloud], "", "PLAN")
    (step,) = yaml.safe_load(text)
    assert isinstance(step, dict)
    return step


def test_an_unknown_cloud_has_no_login_and_says_so() -> None:
    with pytest.raises(ValueError, match=re.escape("no login step for cloud(s) alibaba")):
        logins.ordered(["aws", "alibaba"])


def test_update_reads_the_clouds_from_a_valid_spec_only(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A spec that does not validate cannot say which clouds it uses: the update refuses
    with the spec's errors and leaves every workflow as it was."""
    before = {p.name: p.read_bytes() for p in workflows(repository)}
    tenant = repository / "spec" / "tenants" / "acme.yaml"
    tenant.write_text(tenant.read_text().replace("pool: shared", "pool: nowhere"))
    assert main(["init", str(repository), "--update"]) == 1
    assert "pool" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in workflows(repository)} == before
