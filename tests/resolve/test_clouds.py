"""Clouds: the platform's clouds and regions, each pool's and tenant's cloud, region and SKU.

The base spec is laid over with a platform on three clouds (aws, azure, gcp); each test
asserts whole messages, file:line:column included.
"""
# ruff: noqa: E501  (whole diagnostics are compared, one per line)

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import pipeline
from compiler.cli import main
from tests.fixtures.specs import Files, errors, expect, tenant_document, valid

PLATFORM = """
    apiVersion: paybill.dev/v1
    kind: Platform
    metadata:
      name: fixture
    spec:
      cloud: aws
      regions: [eu-central-1, us-east-1]
      database: {name: app, tenantColumn: tenant_id}
      clouds:
        azure:
          regions: [westeurope]
          subscriptionId: 00000000-0000-0000-0000-000000000001
          tenantId: 00000000-0000-0000-0000-000000000002
        gcp: {regions: [europe-west1], project: acme-prod}
      pools:
        - name: eu-pool
          region: eu-central-1
          network: {cidr: 10.10.0.0/16}
          database: {engine: postgres, version: "15", instanceClass: db.r6g.large, storageGb: 100}
        - name: us-pool
          region: us-east-1
          network: {cidr: 10.11.0.0/16}
          database: {engine: postgres, version: "15", size: {vcpu: 4, memoryGb: 16}, storageGb: 100}
        - name: eu-azure
          cloud: azure
          region: westeurope
          network: {cidr: 10.10.0.0/16}
          database: {engine: postgres, version: "15", size: {vcpu: 4, memoryGb: 16}, storageGb: 200}
        - name: eu-gcp
          cloud: gcp
          region: europe-west1
          network: {cidr: 10.40.0.0/16}
          database: {engine: postgres, version: "15", size: {vcpu: 3, memoryGb: 10}, sku: {gcp: db-custom-4-16384}, storageGb: 200}
    """
PLANS = """
    apiVersion: paybill.dev/v1
    kind: Plan
    metadata:
      name: everywhere
    spec:
      displayName: Everywhere
      isolation: silo
      limits: {seats: 10, storageGb: 10, apiRequestsPerSecond: 5, agentRunsPerDay: 10}
      resources:
        database: {size: {vcpu: 2, memoryGb: 8}, sku: {azure: MO_Standard_E2ds_v5}, storageGb: 50}
        compute: {cpu: 1024, memoryMb: 2048, minTasks: 1, maxTasks: 2}
    ---
    apiVersion: paybill.dev/v1
    kind: Plan
    metadata:
      name: azure-bridge
    spec:
      displayName: Azure bridge
      isolation: bridge
      clouds: [azure, gcp]
      limits: {seats: 10, storageGb: 10, apiRequestsPerSecond: 5, agentRunsPerDay: 10}
      resources:
        database: {size: {vcpu: 2, memoryGb: 8}, storageGb: 50}
    """


def tenant(name: str, plan: str, region: str, *extra: str) -> str:
    """A tenant document; `extra` are more lines of its spec."""
    return tenant_document(name, plan, region, *(f"  {line}" for line in extra))


VALID: Files = {
    "platform.yaml": PLATFORM,
    "more-plans.yaml": PLANS,
    "tenants/az-silo.yaml": tenant("az-silo", "everywhere", "westeurope", "cloud: azure"),
    "tenants/gcp-silo.yaml": tenant("gcp-silo", "everywhere", "europe-west1", "cloud: gcp"),
    "tenants/az-bridge.yaml": tenant("az-bridge", "azure-bridge", "westeurope", "pool: eu-azure"),
    "tenants/az-pooled.yaml": tenant("az-pooled", "basic", "westeurope", "pool: eu-azure"),
}


def test_a_spec_on_three_clouds_resolves_each_cloud_region_and_sku(workdir: Path) -> None:
    spec = valid(workdir, files=VALID)
    assert [(a.cloud, a.regions, a.account, a.default) for a in spec.platform.clouds] == [
        ("aws", ("eu-central-1", "us-east-1"), (), True),
        (
            "azure",
            ("westeurope",),
            (
                ("subscriptionId", "00000000-0000-0000-0000-000000000001"),
                ("tenantId", "00000000-0000-0000-0000-000000000002"),
            ),
            False,
        ),
        ("gcp", ("europe-west1",), (("project", "acme-prod"),), False),
    ]
    pools = {p.name: (p.cloud, p.region, p.database.sku) for p in spec.pools}
    assert pools == {
        "eu-azure": ("azure", "westeurope", "GP_Standard_D4ds_v5"),
        "eu-gcp": ("gcp", "europe-west1", "db-custom-4-16384"),  # pinned over the size
        "eu-pool": ("aws", "eu-central-1", "db.r6g.large"),
        "us-pool": ("aws", "us-east-1", "db.m6g.xlarge"),
    }
    tenants = {
        t.name: (t.cloud, t.region, t.database.sku if t.database else None) for t in spec.tenants
    }
    assert tenants["az-silo"] == ("azure", "westeurope", "MO_Standard_E2ds_v5")
    assert tenants["gcp-silo"] == ("gcp", "europe-west1", "db-custom-2-8192")
    assert tenants["az-bridge"] == ("azure", "westeurope", "GP_Standard_D2ds_v5")
    assert tenants["az-pooled"] == ("azure", "westeurope", None)
    assert tenants["alpha"] == ("aws", "eu-central-1", "db.r6g.large")
    everywhere = spec.plan("everywhere").database
    assert everywhere is not None
    assert everywhere.skus == (
        ("aws", "db.m6g.large"),
        ("azure", "MO_Standard_E2ds_v5"),
        ("gcp", "db-custom-2-8192"),
    )


def test_bad_clouds_regions_pools_plans_and_networks_are_reported_together(
    workdir: Path,
) -> None:
    files = {
        **VALID,
        "more-plans.yaml": PLANS.replace(
            "{size: {vcpu: 2, memoryGb: 8}, sku: {azure: MO_Standard_E2ds_v5}, storageGb: 50}",
            "{size: {vcpu: 2, memoryGb: 8}, sku: {azure: MO_Standard_E2ds_v5, oci: VM.Standard.E5.Flex.1.16GB}, storageGb: 50}",
        ),
        "tenants/typo.yaml": tenant("typo", "everywhere", "westeurope", "cloud: azrue"),
        "tenants/wrong-region.yaml": tenant("wrong-region", "everywhere", "westeurope"),
        "tenants/other-cloud.yaml": tenant(
            "other-cloud", "basic", "westeurope", "pool: eu-azure", "cloud: gcp"
        ),
        "tenants/excluded.yaml": tenant(
            "excluded", "azure-bridge", "eu-central-1", "pool: eu-pool"
        ),
        "tenants/undeclared.yaml": tenant("undeclared", "everywhere", "eu-de", "cloud: ibm"),
        "tenants/misspelt.yaml": tenant(
            "misspelt", "everywhere", "europe-wset1", "cloud: gcp", "network: {cidr: 10.70.0.0/16}"
        ),
        "tenants/az-one.yaml": tenant(
            "az-one", "everywhere", "westeurope", "cloud: azure", "network: {cidr: 10.60.0.0/16}"
        ),
        "tenants/az-two.yaml": tenant(
            "az-two", "everywhere", "westeurope", "cloud: azure", "network: {cidr: 10.60.0.0/20}"
        ),
        # the same range on another cloud's account is not an overlap
        "tenants/gcp-one.yaml": tenant(
            "gcp-one", "everywhere", "europe-west1", "cloud: gcp", "network: {cidr: 10.60.0.0/16}"
        ),
    }
    assert errors(workdir, files=files) == expect(
        "spec/more-plans.yaml:10:80: Plan/everywhere spec.resources.database.sku.oci: a sku for oci, which the platform does not use (remove sku.oci, or declare oci in spec.clouds of the Platform)",
        "spec/tenants/az-one.yaml:12:19: Tenant/az-one spec.network.cidr: network 10.60.0.0/16 (spec.network.cidr) overlaps 10.60.0.0/20 of tenant 'az-two' (spec/tenants/az-two.yaml) (write a range that no pool and no other silo tenant uses)",
        "spec/tenants/az-two.yaml:12:19: Tenant/az-two spec.network.cidr: network 10.60.0.0/20 (spec.network.cidr) overlaps 10.60.0.0/16 of tenant 'az-one' (spec/tenants/az-one.yaml) (write a range that no pool and no other silo tenant uses)",
        "spec/tenants/excluded.yaml:7:9: Tenant/excluded spec.plan: plan 'azure-bridge' is for tenants on azure, gcp; this tenant is on aws (choose a plan for aws, or add aws to the plan's clouds)",
        "spec/tenants/misspelt.yaml:8:11: Tenant/misspelt spec.region: unknown gcp region 'europe-wset1' (did you mean 'europe-west1'?)",
        "spec/tenants/other-cloud.yaml:12:10: Tenant/other-cloud spec.cloud: pooled tenants live in their pool's cloud: pool 'eu-azure' is on azure (remove 'cloud', or choose a pool on gcp)",
        "spec/tenants/typo.yaml:11:10: Tenant/typo spec.cloud: must be 'aws', 'azure', 'gcp', 'oci' or 'ibm', not the text 'azrue' (did you mean 'azure'?)",
        "spec/tenants/undeclared.yaml:11:10: Tenant/undeclared spec.cloud: tenant 'undeclared' is on ibm, which the platform does not declare (add spec.clouds.ibm to Platform/fixture (its account, regions and state backend))",
        "spec/tenants/wrong-region.yaml:8:11: Tenant/wrong-region spec.region: 'westeurope' is a region of azure, not of aws (name a region of aws, or put this on azure)",
    )


PLATFORM_PROBLEMS = """
    apiVersion: paybill.dev/v1
    kind: Platform
    metadata:
      name: fixture
    spec:
      cloud: azure
      regions: [westeurope, eastus]
      stateBackend: {type: s3, bucket: state, region: eu-central-1, lockTable: locks}
      database: {name: app, tenantColumn: tenant_id}
      clouds:
        aws: {regions: [eu-central-1, us-east-1]}
        gcp: {project: acme-prod, stateBackend: {type: gcs, bucket: acme-tf}}
        ibm:
          regions: [eu-de, us-south-1]
          resourceGroup: platform
          stateBackend: {type: s3, bucket: tfstate, endpoint: "https://s3.eu-de.cloud-object-storage.appdomain.cloud"}
      pools:
        - name: eu-pool
          cloud: aws
          region: eu-central-1
          network: {cidr: 10.10.0.0/16}
          database: {engine: postgres, version: "15", instanceClass: db.r6g.large, storageGb: 100}
        - name: us-pool
          cloud: aws
          region: us-east-1
          network: {cidr: 10.11.0.0/16}
          database: {engine: postgres, version: "15", size: {vcpu: 100, memoryGb: 16}, storageGb: 100}
        - name: ibm-pool
          cloud: ibm
          region: eu-de
          network: {cidr: 10.12.0.0/16}
          database: {engine: postgres, version: "15", sku: {ibm: b3c-4x16}, storageGb: 100}
    """


def test_platform_clouds_accounts_backends_and_sizes(workdir: Path) -> None:
    """Here azure is the default cloud, so the base spec's tenants are on azure too."""
    assert errors(workdir, files={"platform.yaml": PLATFORM_PROBLEMS}) == expect(
        "spec/platform.yaml:8:24: Platform/fixture spec.stateBackend.type: state backend type s3 is not one for azure (the state backend of azure is one of local, azurerm)",
        "spec/platform.yaml:10:3: Platform/fixture spec.clouds.azure: missing required field 'azure': the default cloud azure needs its account (add spec.clouds.azure with subscriptionId and tenantId)",
        "spec/platform.yaml:11:5: Platform/fixture spec.clouds.aws.stateBackend: missing required field 'stateBackend': the platform keeps state remotely, so aws's stacks need a backend of their own (add spec.clouds.aws.stateBackend of type s3)",
        "spec/platform.yaml:12:5: Platform/fixture spec.clouds.gcp.regions: missing required field 'regions': the regions of gcp this platform uses",
        "spec/platform.yaml:14:24: Platform/fixture spec.clouds.ibm.regions[1]: unknown ibm region 'us-south-1' (did you mean 'us-south'?)",
        "spec/platform.yaml:27:7: Platform/fixture spec.pools[1].database: pool 'us-pool' is on aws, but no aws SKU of the reviewed table has 100 vCPUs and 16 GB (the largest is db.r6g.16xlarge: 64 vCPUs, 512 GB); pin one with sku.aws",
        "spec/platform.yaml:32:62: Platform/fixture spec.pools[2].database.sku.ibm: 'b3c-4x16' is not valid here: must be a host flavor such as 'b3c.4x16.encrypted'",
        "spec/tenants/alpha.yaml:7:9: Tenant/alpha spec.plan: plan 'enterprise' sizes no database on azure, where this tenant is: it is sized for aws only; give it a size or sku.azure",
        "spec/tenants/alpha.yaml:8:11: Tenant/alpha spec.region: 'eu-central-1' is a region of aws, not of azure (name a region of azure, or put this on aws)",
    )


IBM_DEFAULT = """
    apiVersion: paybill.dev/v1
    kind: Platform
    metadata:
      name: fixture
    spec:
      cloud: ibm
      regions: [eu-de]
      stateBackend: {type: s3, bucket: ibm-state, region: eu-de, lockTable: locks}
      database: {name: app, tenantColumn: tenant_id}
      clouds:
        ibm: {resourceGroup: platform}
        aws:
          regions: [eu-central-1, us-east-1]
          stateBackend: {type: s3, bucket: aws-state, region: eu-central-1, lockTable: locks, endpoint: "https://s3.example.com"}
      pools:
        - {name: eu-pool, cloud: aws, region: eu-central-1, network: {cidr: 10.10.0.0/16}, database: {engine: postgres, version: "15", instanceClass: db.r6g.large, storageGb: 100}}
        - {name: us-pool, cloud: aws, region: us-east-1, network: {cidr: 10.11.0.0/16}, database: {engine: postgres, version: "15", instanceClass: db.r6g.large, storageGb: 100}}
    """


def test_an_s3_backend_needs_an_endpoint_off_aws_and_none_on_aws(workdir: Path) -> None:
    """IBM keeps state in COS through its S3 API, which has no DynamoDB lock table."""
    found = errors(workdir, files={"platform.yaml": IBM_DEFAULT}).splitlines()
    assert found[:3] == [
        "spec/platform.yaml:8:3: Platform/fixture spec.stateBackend.endpoint: missing required field 'endpoint': the S3-compatible endpoint of ibm's object storage",
        "spec/platform.yaml:8:62: Platform/fixture spec.stateBackend.lockTable: ibm has no DynamoDB: state is locked with a lock file in the bucket (remove lockTable)",
        "spec/platform.yaml:14:91: Platform/fixture spec.clouds.aws.stateBackend.endpoint: an endpoint names S3-compatible storage of another cloud; AWS S3 needs none (remove endpoint)",
    ]
    # the rest: the base spec's tenants, now on ibm by default, in regions of aws
    assert all(line.startswith("spec/tenants/") for line in found[3:-1])


ON_IBM = PLATFORM.replace(
    "gcp: {regions: [europe-west1], project: acme-prod}",
    "gcp: {regions: [europe-west1], project: acme-prod}\n"
    "        ibm: {regions: [eu-de], resourceGroup: platform}",
)
UNLIMITED = (
    PLANS.split("---", maxsplit=1)[0]
    .replace("name: everywhere", "name: unlimited")
    .replace("apiRequestsPerSecond: 5", "apiRequestsPerSecond: null")
)


def test_a_tenant_on_ibm_whose_plan_needs_an_api_product_with_quotas_is_refused(
    workdir: Path,
) -> None:
    files = {
        **VALID,
        "platform.yaml": ON_IBM,
        "tenants/ibm-limited.yaml": tenant("ibm-limited", "everywhere", "eu-de", "cloud: ibm"),
    }
    assert errors(workdir, files=files) == expect(
        "spec/tenants/ibm-limited.yaml:7:9: Tenant/ibm-limited spec.plan: tenant 'ibm-limited' is on ibm, which has no API product with quotas: its limits (plan 'everywhere') set apiRequestsPerSecond, which needs one (give it a plan without apiRequestsPerSecond, or put it on another cloud)",
    )


def test_compile_builds_every_cloud_and_refuses_one_without_a_driver(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_ibm = {
        **VALID,
        "platform.yaml": ON_IBM,
        "unlimited.yaml": UNLIMITED,
        "tenants/ibm-silo.yaml": tenant("ibm-silo", "unlimited", "eu-de", "cloud: ibm"),
    }
    valid(workdir, files=on_ibm)
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert Path("generated/stacks/tenant-ibm-silo/cdk.tf.json").is_file()
    capsys.readouterr()
    # A cloud whose driver is not there (none today: the check stays for the next one).
    monkeypatch.setattr(pipeline, "DRIVERS", frozenset({"aws", "azure", "gcp", "oci"}))
    assert main(["compile", "spec", "--out", "elsewhere"]) == 1
    assert (
        capsys.readouterr().err
        == expect(
            "spec/tenants/ibm-silo.yaml:11:10: Tenant/ibm-silo spec.cloud: tenant 'ibm-silo' is on ibm, whose driver is not there yet: compile builds stacks for aws, azure, gcp, oci only (paybill validate accepts this spec; to compile it now, keep this on aws, azure, gcp or oci)",
        )
        + "\n"
    )
    assert not Path("elsewhere").exists()
