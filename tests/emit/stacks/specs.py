"""A small spec with every isolation model and lifecycle state, for the stacks' behaviour
tests. `spec_files()` returns {path: YAML}; tests change one document and compare."""

from __future__ import annotations

PLATFORM = """
apiVersion: paybill.dev/v1
kind: Platform
metadata: {{name: acmecloud}}
spec:
  cloud: aws
  regions: [eu-west-1]
  stateBackend: {backend}
  database: {{name: app, tenantColumn: tenant_id}}
  pools:
    - name: shared
      region: eu-west-1
      network: {{cidr: 10.1.0.0/16}}
      database: {{engine: postgres, version: "15", instanceClass: db.r6g.large, storageGb: 200}}
  siloNetworks: {{cidr: 10.64.0.0/12, prefixLength: 20}}
"""

PLANS = """
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: basic}
spec:
  displayName: Basic
  isolation: pooled
  limits: {seats: 5, storageGb: 1, apiRequestsPerSecond: 10, agentRunsPerDay: 10}
---
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: unlimited}
spec:
  displayName: Unlimited
  isolation: pooled
  limits: {seats: null, storageGb: null, apiRequestsPerSecond: null, agentRunsPerDay: null}
---
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: business}
spec:
  displayName: Business
  isolation: bridge
  limits: {seats: 50, storageGb: 50, apiRequestsPerSecond: 40, agentRunsPerDay: 100}
  resources:
    database: {instanceClass: db.t4g.medium, storageGb: 50}
    compute: {cpu: 512, memoryMb: 1024, minTasks: 1, maxTasks: 3}
---
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: business-lite}
spec:
  displayName: Business Lite
  isolation: bridge
  limits: {seats: 20, storageGb: 20, apiRequestsPerSecond: 20, agentRunsPerDay: 50}
  resources:
    database: {instanceClass: db.t4g.small, storageGb: 20, multiAz: false}
---
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: dedicated}
spec:
  displayName: Dedicated
  isolation: silo
  limits: {seats: null, storageGb: 500, apiRequestsPerSecond: 200, agentRunsPerDay: null}
  resources:
    database: {instanceClass: db.r6g.xlarge, storageGb: 400, version: "16"}
    compute: {cpu: 2048, memoryMb: 4096, minTasks: 2, maxTasks: 6}
"""


def tenant(
    name: str,
    plan: str,
    state: str = "active",
    pool: str | None = "shared",
    network: str | None = None,
) -> str:
    status = {"offboarding": "canceled", "deleted": "canceled", "suspended": "past_due"}
    lines = [
        "apiVersion: paybill.dev/v1",
        "kind: Tenant",
        f"metadata: {{name: {name}}}",
        "spec:",
        f"  displayName: {name.title()}",
        f"  plan: {plan}",
        "  region: eu-west-1",
        f"  state: {state}",
        f"  subscription: {{status: {status.get(state, 'active')}}}",
    ]
    if pool is not None:
        lines.append(f"  pool: {pool}")
    if state == "deleted":
        lines.append(f"  confirmDataDeletion: {name}")
    if network is not None:
        lines.append(f"  network: {{cidr: {network}}}")
    return "\n".join(lines) + "\n"


TENANTS = {
    "tenants/pooled.yaml": tenant("pooled", "basic"),
    "tenants/pooled-free.yaml": tenant("pooled-free", "unlimited"),
    "tenants/bridged.yaml": tenant("bridged", "business"),
    "tenants/bridged-lite.yaml": tenant("bridged-lite", "business-lite"),
    "tenants/siloed.yaml": tenant("siloed", "dedicated", pool=None, network="10.50.0.0/16"),
    "tenants/paused.yaml": tenant("paused", "dedicated", "suspended", pool=None),
    "tenants/leaving.yaml": tenant("leaving", "dedicated", "offboarding", pool=None),
    "tenants/paused-pooled.yaml": tenant("paused-pooled", "basic", "suspended"),
    "tenants/leaving-bridged.yaml": tenant("leaving-bridged", "business", "offboarding"),
    "tenants/starting.yaml": tenant("starting", "business", "pending"),
    "tenants/gone.yaml": tenant("gone", "business", "deleted"),
}

LOCAL = "{type: local}"
S3 = "{type: s3, bucket: acme-state, region: eu-west-1, lockTable: acme-locks, keyPrefix: infra/}"


def spec_files(backend: str = LOCAL, **changes: str) -> dict[str, str]:
    """The spec's files; `changes` replaces tenants by name (`pooled=tenant(...)`)."""
    files = {"platform.yaml": PLATFORM.format(backend=backend), "plans.yaml": PLANS}
    files.update(TENANTS)
    for name, text in changes.items():
        files[f"tenants/{name.replace('_', '-')}.yaml"] = text
    return files


# Plans without an API rate, for the shapes whose usage plan has no throttle.
OPEN_PLANS = """
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: dedicated-open}
spec:
  displayName: Dedicated Open
  isolation: silo
  limits: {seats: null, storageGb: 500, apiRequestsPerSecond: null, agentRunsPerDay: null}
  resources:
    database: {instanceClass: db.r6g.xlarge, storageGb: 400}
    compute: {cpu: 1024, memoryMb: 2048, minTasks: 1, maxTasks: 2}
---
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: business-open}
spec:
  displayName: Business Open
  isolation: bridge
  limits: {seats: 50, storageGb: 50, apiRequestsPerSecond: null, agentRunsPerDay: 100}
  resources:
    database: {instanceClass: db.t4g.medium, storageGb: 50}
    compute: {cpu: 512, memoryMb: 1024, minTasks: 1, maxTasks: 3}
---
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: business-lite-open}
spec:
  displayName: Business Lite Open
  isolation: bridge
  limits: {seats: 20, storageGb: 20, apiRequestsPerSecond: null, agentRunsPerDay: 50}
  resources:
    database: {instanceClass: db.t4g.small, storageGb: 20}
"""


def confirming(text: str, *addresses: str) -> str:
    """A tenant document that lets `addresses` go (`confirmDestroy`)."""
    return text + f"  confirmDestroy: [{', '.join(addresses)}]\n"


def every_shape_files() -> dict[str, str]:
    """The behaviour spec and a tenant for every shape it lacks: each isolation model with
    each workload and each kind of API limit a tenant can have, and stores let go.
    Tenant names say the shape."""
    files = spec_files()
    files["plans-open.yaml"] = OPEN_PLANS
    extra = {
        "silo-open": tenant("silo-open", "dedicated-open", pool=None),
        "bridge-open": tenant("bridge-open", "business-open"),
        "bridge-paused": tenant("bridge-paused", "business", "suspended"),
        "lite-open": tenant("lite-open", "business-lite-open"),
        "lite-paused": tenant("lite-paused", "business-lite", "suspended"),
        "silo-unprotected": confirming(
            tenant("silo-unprotected", "dedicated", pool=None),
            "aws_db_instance.database",
            "aws_kms_key.key",
            "aws_s3_bucket.bucket",
            "aws_s3_bucket.log_bucket",
        ),
        "bridge-unprotected": confirming(
            tenant("bridge-unprotected", "business"), "aws_s3_bucket.bucket"
        ),
        # Not a store of a pooled stack: the confirmation changes no module.
        "pooled-confirming": confirming(
            tenant("pooled-confirming", "basic"), "aws_db_instance.database"
        ),
    }
    files.update({f"tenants/{name}.yaml": text for name, text in extra.items()})
    files["platform.yaml"] = files["platform.yaml"].replace(
        "  siloNetworks:",
        "    - name: other\n"
        "      region: eu-west-1\n"
        "      network: {cidr: 10.2.0.0/16}\n"
        '      database: {engine: postgres, version: "15", instanceClass: db.t4g.small, '
        "storageGb: 20}\n"
        "      confirmDestroy: [aws_kms_key.key]\n"
        "  siloNetworks:",
    )
    return files
