"""Validate a generated fleet of N tenants and compare with merely parsing its YAML.

    python benchmarks/validate_fleet.py 10000 [--keep DIR] [--repeat 3]

Writes a realistic spec (three regions with two pools each; free, starter, pro and
enterprise plans; tenants in every lifecycle state; one file per tenant as in spec/) into a
temporary folder, then prints:

* parse: reading every file with `yaml.load_all` (the C SafeLoader when available);
* validate: `compiler.pipeline.validate` (load with positions, parse, resolve);
* their ratio, and peak memory of validating (tracemalloc, in a separate run, and the
  process's maximum resident set size).

The target at N = 10,000: validate at most 3x parse, under 500 MB.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compiler.pipeline import validate  # noqa: E402  (after the path is set)

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HEADER = "apiVersion: paybill.dev/v1\n"
REGIONS = {
    "eu-central-1": ("10.10", "10.11"),
    "us-east-1": ("10.20", "10.21"),
    "ap-southeast-2": ("10.30", "10.31"),
}
# plan -> (isolation, share of tenants)
PLANS = {
    "free": ("pooled", 20),
    "starter": ("pooled", 40),
    "pro": ("bridge", 30),
    "enterprise": ("silo", 10),
}
# state -> (share, subscription statuses it may have)
STATES = {
    "active": (80, ["active", "active", "active", "past_due"]),
    "pending": (5, ["active"]),
    "suspended": (5, ["past_due"]),
    "offboarding": (5, ["canceled"]),
    "deleted": (5, ["canceled"]),
}

PLATFORM = """kind: Platform
metadata: {name: fleet, labels: {owner: platform-team}}
spec:
  cloud: aws
  regions: [%(regions)s]
  stateBackend:
    {type: s3, bucket: fleet-terraform-state, region: eu-central-1, lockTable: fleet-locks}
  database: {name: fleet, tenantColumn: tenant_id}
  pools:
%(pools)s"""
POOL = """    - name: %(name)s
      region: %(region)s
      network: {cidr: %(prefix)s.0.0/16}
      database: {engine: postgres, version: "15", instanceClass: db.r6g.2xlarge, storageGb: 2000}
"""
PLAN_DOCS = """kind: Plan
metadata: {name: free}
spec:
  displayName: Free trial
  isolation: pooled
  limits: {seats: 3, storageGb: 1, apiRequestsPerSecond: 5, agentRunsPerDay: 50}
  features: [reminders]
  billing: {trialDays: 14}
---
kind: Plan
metadata: {name: starter}
spec:
  displayName: Starter
  isolation: pooled
  limits: {seats: 20, storageGb: 10, apiRequestsPerSecond: 20, agentRunsPerDay: 500}
  features: [reminders, support]
  billing: {trialDays: 14, gracePeriodDays: 7}
---
kind: Plan
metadata: {name: pro}
spec:
  displayName: Pro
  isolation: bridge
  limits: {seats: 200, storageGb: 100, apiRequestsPerSecond: 50, agentRunsPerDay: 1000}
  features: [reminders, support, dunning, reconciliation]
  resources:
    database: {instanceClass: db.t4g.medium, storageGb: 100}
    compute: {cpu: 1024, memoryMb: 2048, minTasks: 1, maxTasks: 4}
  billing: {trialDays: 14, gracePeriodDays: 7}
---
kind: Plan
metadata: {name: enterprise}
spec:
  displayName: Enterprise
  isolation: silo
  limits: {seats: null, storageGb: 1000, apiRequestsPerSecond: 500, agentRunsPerDay: null}
  features: [reminders, support, dunning, reconciliation, refunds, sso]
  resources:
    database: {instanceClass: db.r6g.large, storageGb: 500}
    compute: {cpu: 2048, memoryMb: 4096, minTasks: 2, maxTasks: 8}
    network: {cidr: 10.200.0.0/16}
  billing: {gracePeriodDays: 30}
"""
SCHEMA_DOCS = """kind: Table
metadata: {name: invoices}
spec:
  schema: billing
  columns:
    - {name: id, type: uuid, primaryKey: true}
    - {name: tenant_id, type: text}
    - {name: customer_email, type: text, pii: true}
    - {name: amount_cents, type: bigint}
    - {name: status, type: text}
    - {name: due_at, type: date}
    - {name: reminded_at, type: timestamptz, nullable: true}
---
kind: Table
metadata: {name: tickets}
spec:
  columns:
    - {name: id, type: uuid, primaryKey: true}
    - {name: tenant_id, type: text}
    - {name: body, type: text, pii: true}
    - {name: priority, type: smallint}
"""
AGENT_DOCS = """kind: Tool
metadata: {name: email-send}
spec: {description: Send an e-mail, effect: external}
---
kind: Tool
metadata: {name: refund-issue}
spec: {description: Refund a payment, effect: destructive}
---
kind: Agent
metadata: {name: collector}
spec:
  description: Chases overdue invoices
  workflows: [reminders, dunning]
  limits: {runsPerDay: 500, concurrentRuns: 2}
---
kind: Agent
metadata: {name: triage}
spec:
  description: Sorts support tickets
  workflows: [triage]
  limits: {runsPerDay: 2000, concurrentRuns: 4}
---
kind: Workflow
metadata: {name: reminders}
spec:
  requiresFeature: reminders
  trigger: {schedule: "0 9 * * mon-fri"}
  limits: {maxSteps: 3, timeoutSeconds: 120, maxRowsPerStep: 500}
  steps:
    - id: find
      query:
        {table: invoices, operation: select, columns: [id, customer_email], where: [status, due_at]}
      allowPii: true
    - {id: notify, after: [find], tool: email-send}
    - id: mark
      after: [notify]
      query: {table: invoices, operation: update, columns: [reminded_at], where: [id]}
---
kind: Workflow
metadata: {name: dunning}
spec:
  requiresFeature: dunning
  trigger: {event: invoice.overdue}
  limits: {maxSteps: 2, timeoutSeconds: 60, maxRowsPerStep: 50}
  steps:
    - id: load
      query: {table: invoices, operation: select, columns: [id, amount_cents], where: [id]}
    - id: escalate
      after: [load]
      query: {table: invoices, operation: update, columns: [status], where: [id]}
---
kind: Workflow
metadata: {name: triage}
spec:
  requiresFeature: support
  trigger: {event: ticket.created}
  limits: {maxSteps: 2, timeoutSeconds: 60, maxRowsPerStep: 1}
  steps:
    - id: read
      query: {table: tickets, operation: select, columns: [id, body], where: [id]}
      allowPii: true
    - id: sort
      after: [read]
      query: {table: tickets, operation: update, columns: [priority], where: [id]}
"""
TENANT = """kind: Tenant
metadata:
  name: %(name)s
  labels: {segment: %(segment)s}
spec:
  displayName: %(display)s
  plan: %(plan)s
  region: %(region)s
%(pool)s  state: %(state)s
  subscription: {status: %(status)s}
  contacts: [{email: ops@%(name)s.example}]
%(extra)s"""


def _docs(text: str) -> str:
    return "---\n".join(HEADER + doc for doc in text.split("---\n"))


def _tenant(rng: random.Random, index: int) -> tuple[str, str, str]:
    """(region, name, YAML) of one tenant whose state, plan and subscription fit together."""
    name = f"t{index:05d}-{rng.choice(['acme', 'globex', 'initech', 'umbrella', 'hooli'])}"
    plan = rng.choices(list(PLANS), weights=[w for _, w in PLANS.values()])[0]
    state = rng.choices(list(STATES), weights=[w for w, _ in STATES.values()])[0]
    status = rng.choice(STATES[state][1])
    if plan == "free" and state in ("active", "pending"):
        status = "trialing"
    region = rng.choice(list(REGIONS))
    pool = ""
    if PLANS[plan][0] != "silo":
        pool = f"  pool: {region}-{rng.choice('ab')}\n"
    else:  # a network of its own: silo networks may not overlap
        pool = f"  network: {{cidr: 10.{128 + index // 256}.{index % 256}.0/24}}\n"
    extra = ""
    if state == "deleted":
        extra = f"  confirmDataDeletion: {name}\n"
    elif rng.random() < 0.1:
        extra = f"  overrides:\n    limits: {{seats: {rng.randint(5, 500)}}}\n"
    text = TENANT % {
        "name": name,
        "segment": {"free": "self-serve", "starter": "smb"}.get(plan, "enterprise"),
        "display": f"Tenant {index}",
        "plan": plan,
        "region": region,
        "pool": pool,
        "state": state,
        "status": status,
        "extra": extra,
    }
    return region, name, HEADER + text


def generate(root: Path, count: int, seed: int = 7) -> None:
    """Write a fleet spec of `count` tenants into `root`."""
    rng = random.Random(seed)
    pools = "".join(
        POOL % {"name": f"{region}-{suffix}", "region": region, "prefix": prefix}
        for region, prefixes in REGIONS.items()
        for suffix, prefix in zip("ab", prefixes, strict=True)
    )
    files = {
        "platform.yaml": HEADER + PLATFORM % {"regions": ", ".join(REGIONS), "pools": pools},
        "plans.yaml": _docs(PLAN_DOCS),
        "schema/tables.yaml": _docs(SCHEMA_DOCS),
        "agents/agents.yaml": _docs(AGENT_DOCS),
    }
    for index in range(count):
        region, name, text = _tenant(rng, index)
        files[f"tenants/{region}/{name}.yaml"] = text
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def parse_only(root: Path) -> int:
    """What merely parsing the same YAML costs: every file through yaml.load_all."""
    count = 0
    for path in sorted(root.rglob("*.yaml")):
        count += sum(1 for _ in yaml.load_all(path.read_bytes(), Loader=LOADER))
    return count


def best_time(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tenants", type=int, nargs="?", default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--keep", type=Path, help="write the spec here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="paybill-fleet-"))
    try:
        generate(root, args.tenants)
        documents = parse_only(root)
        parse_s = best_time(lambda: parse_only(root), args.repeat)
        validate_s = best_time(lambda: validate(root), args.repeat)
        spec = validate(root)
        tracemalloc.start()
        validate(root)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        files = sum(1 for _ in root.rglob("*.yaml"))
        live = len(spec.live_tenants)
        print(f"tenants: {len(spec.tenants)} ({live} live) in {documents} documents, {files} files")
        print(f"parse (yaml.load_all, {LOADER.__name__}): {parse_s:.3f} s")
        print(f"validate (load + parse + resolve):      {validate_s:.3f} s")
        print(f"ratio validate / parse:                 {validate_s / parse_s:.2f}x (target <= 3x)")
        print(f"peak memory of validate (tracemalloc):  {peak / 2**20:.1f} MiB (target < 500 MB)")
        print(f"max resident set size of this process:  {rss:.1f} MiB")
    finally:
        if args.keep is None:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
