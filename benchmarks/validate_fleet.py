"""Validate a generated fleet of N tenants and compare with merely parsing its YAML.

    python benchmarks/validate_fleet.py 10000 [--keep DIR] [--repeat 5]

Writes a realistic spec (three regions with two pools each; free, starter, pro and
enterprise plans; tenants in every lifecycle state; one file per tenant as in spec/) into a
temporary folder, then measures two whole processes, as a user or CI runs them:

* parse: a Python process that reads every file and parses it with `yaml.load_all` and
  PyYAML's C loader (CSafeLoader), and nothing else;
* validate: `paybill validate DIR` (`python -m compiler validate DIR`): start, imports,
  load with positions, parse into models, resolve, print.

Each is run `--repeat` times, alternating, and the best run of each counts. Times are CPU
time (user + system, from the child's resource usage): both processes are single-threaded,
so on an idle core CPU time is their wall time, and unlike wall time it does not grow when
other work shares the machine. Wall times are printed too.

The target compares the two whole processes: each pays for starting Python and its imports
(the parse process only for `yaml`), and each reads the same files.

Then, in this process: validate's stages (load, parse, resolve) and its peak memory
(tracemalloc), for finding where the time goes.

The target at N = 10,000: the validate process at most 2.5x the parse process, under 500 MB.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compiler.dsl import parse  # noqa: E402  (after the path is set)
from compiler.load import load_spec  # noqa: E402
from compiler.pipeline import validate  # noqa: E402
from compiler.resolve import resolve  # noqa: E402

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


# The baseline process: only what parsing the same files costs.
PARSE_PROCESS = """
import os, sys, yaml
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
count = 0
for folder, folders, names in os.walk(sys.argv[1]):
    folders.sort()
    for name in sorted(names):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(folder, name), "rb") as handle:
                count += sum(1 for _ in yaml.load_all(handle.read(), Loader=loader))
print(count, "documents")
"""
TARGET_RATIO = 2.5


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_mib: float
    out: str


def run_process(argv: list[str]) -> Run:
    """Run `argv` to completion; its wall time, CPU time and peak resident memory."""
    start = time.perf_counter()
    # From the repository, so that `-m compiler` is the compiler next to this script.
    process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{out}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.strip())


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda run: run.cpu)


def stage_times(root: Path, repeat: int) -> dict[str, float]:
    """Validate's stages in this process (imports already done), the best of `repeat` runs
    of each, with the cyclic collector off as `paybill validate` runs them."""
    times: dict[str, float] = {}

    def timed(stage: str, run: Callable[..., Any], *args: Any) -> Any:
        start = time.process_time()
        result = run(*args)
        spent = time.process_time() - start
        times[stage] = min(times.get(stage, spent), spent)
        return result

    gc.disable()
    for _ in range(repeat):
        loaded = timed("load (read files, YAML, data)", load_spec, root)
        parsed = timed("parse (documents into models)", parse, loaded, str(root))
        timed("resolve", resolve, parsed)
    gc.enable()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tenants", type=int, nargs="?", default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs")
    parser.add_argument("--keep", type=Path, help="write the spec here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="paybill-fleet-"))
    try:
        generate(root, args.tenants)
        parse_argv = [sys.executable, "-c", PARSE_PROCESS, str(root)]
        validate_argv = [sys.executable, "-m", "compiler", "validate", str(root)]
        run_process(validate_argv)  # warm the file cache and the bytecode cache
        parses, validates = [], []
        for _ in range(args.repeat):
            parses.append(run_process(parse_argv))
            validates.append(run_process(validate_argv))
        parsed, validated = best(parses), best(validates)
        ratio = validated.cpu / parsed.cpu
        gc.collect()
        stages = stage_times(root, args.repeat)
        tracemalloc.start()
        validate(root)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        files = sum(1 for _ in root.rglob("*.yaml"))
        print(f"fleet: {args.tenants} tenants, {parsed.out} in {files} files")
        print(f"validate says: {validated.out}")
        print(f"best of {args.repeat} runs (CPU time; wall time; peak resident memory):")
        print(
            f"  parse only, whole process ({LOADER.__name__})  {parsed.cpu:6.3f} s; "
            f"{parsed.wall:6.3f} s; {parsed.rss_mib:4.0f} MiB"
        )
        print(
            f"  paybill validate, whole process           {validated.cpu:6.3f} s; "
            f"{validated.wall:6.3f} s; {validated.rss_mib:4.0f} MiB"
        )
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        print(
            f"ratio validate / parse, whole processes:    {ratio:.2f}x CPU "
            f"(target <= {TARGET_RATIO}x: {verdict}); {validated.wall / parsed.wall:.2f}x wall"
        )
        print("validate's stages in one process (CPU time):")
        for stage, seconds in stages.items():
            print(f"  {stage:<36} {seconds:6.3f} s")
        print(f"peak memory of validate (tracemalloc):  {peak / 2**20:.1f} MiB (target < 500 MB)")
    finally:
        if args.keep is None:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
