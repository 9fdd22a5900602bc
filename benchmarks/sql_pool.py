"""SQL benchmark: one pool of TENANTS tenants with 2 agents each, on a real PostgreSQL.

    .venv/bin/python benchmarks/sql_pool.py [TENANTS]   (default 1000)

1. Writes a pooled spec into a temporary folder: the tables of examples/pooled-fleet
   (keyword and '-' names included), one pooled plan, two agents (`nudger` runs
   stale-items, `pruner` runs dormant-accounts) and TENANTS active tenants in one pool.
2. Resolves it and emits the sql family through its API, printing the time.
3. Starts a throwaway PostgreSQL (as the test suite does), then times `sql apply` on an
   empty database (first apply), `sql apply` again (no-op) and `sql drift`, each through
   the same functions `paybill sql` calls.

Targets at 1,000 tenants: first apply <= 60 s; no-op apply and drift <= 5 s each.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compiler.emit.sql import FAMILY  # noqa: E402
from compiler.graph import build_graph  # noqa: E402
from compiler.pipeline import validate  # noqa: E402
from compiler.sqlops.converge import apply, drift, load_state  # noqa: E402
from tests.support.postgres import Database, running_server  # noqa: E402

TARGET = "pool-fleet-eu"
LIMITS = {"first apply": 60.0, "no-op apply": 5.0, "drift": 5.0}

HEAD = """\
apiVersion: paybill.dev/v1
kind: Platform
metadata: {name: bench}
spec:
  cloud: aws
  regions: [eu-west-1]
  database: {name: bench, tenantColumn: tenant_id}
  pools:
    - name: fleet-eu
      region: eu-west-1
      network: {cidr: 10.60.0.0/16}
      database: {engine: postgres, version: "15", instanceClass: db.r6g.2xlarge, storageGb: 2000}
---
apiVersion: paybill.dev/v1
kind: Plan
metadata: {name: team}
spec:
  displayName: Team
  isolation: pooled
  limits: {seats: 50, storageGb: 20, apiRequestsPerSecond: 25, agentRunsPerDay: 300}
  features: [nudges, cleanup]
  billing: {trialDays: 14}
---
apiVersion: paybill.dev/v1
kind: Tool
metadata: {name: chat-post}
spec: {description: Post a nudge, effect: external}
---
apiVersion: paybill.dev/v1
kind: Agent
metadata: {name: nudger}
spec:
  description: Nudges owners of stale work items
  workflows: [stale-items]
  limits: {runsPerDay: 100, concurrentRuns: 1}
---
apiVersion: paybill.dev/v1
kind: Agent
metadata: {name: pruner}
spec:
  description: Prunes dormant accounts
  workflows: [dormant-accounts]
  limits: {runsPerDay: 100, concurrentRuns: 1}
"""

TENANT = """\
---
apiVersion: paybill.dev/v1
kind: Tenant
metadata: {{name: {name}}}
spec:
  displayName: Tenant {name}
  plan: team
  region: eu-west-1
  pool: fleet-eu
  state: active
  subscription: {{status: active}}
"""


def write_spec(folder: Path, tenants: int) -> None:
    fleet = REPO / "examples" / "pooled-fleet"
    (folder / "platform.yaml").write_text(HEAD)
    (folder / "schema.yaml").write_text((fleet / "schema.yaml").read_text())
    workflows = (fleet / "agents.yaml").read_text().split("---\n")
    (folder / "workflows.yaml").write_text(
        "---\n".join(doc for doc in workflows if "kind: Workflow" in doc)
    )
    (folder / "tenants.yaml").write_text(
        "".join(TENANT.format(name=f"t{i:05d}") for i in range(tenants))
    )


def timed(label: str, action: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    took = time.perf_counter() - start
    limit = LIMITS.get(label)
    verdict = (
        "" if limit is None else (" ok" if took <= limit else f" OVER the {limit:.0f} s target")
    )
    print(f"{label:>12}: {took:7.2f} s{verdict}")
    return took, result


def main() -> int:
    tenants = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    work = Path(tempfile.mkdtemp(prefix="paybill-sql-bench-"))
    try:
        spec_dir, generated = work / "spec", work / "generated"
        spec_dir.mkdir()
        write_spec(spec_dir, tenants)
        spec = validate(spec_dir)
        graph = build_graph(spec)
        _, artifacts = timed("emit sql", lambda: FAMILY.emit(spec, graph, {}))
        for artifact in artifacts:  # type: ignore[attr-defined]
            path = generated / artifact.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(artifact.content)
        state = load_state(generated, TARGET)
        print(
            f"{tenants} tenants: {len(state.roles)} managed roles, "
            f"{len(state.policies)} policies, {len(state.tables)} tables"
        )
        with running_server() as server:
            with server.connect() as conn:
                conn.execute("CREATE DATABASE bench")
            dsn = Database(server, "bench").dsn
            over = False
            for label, run in (
                ("first apply", lambda: apply(dsn, state)),
                ("no-op apply", lambda: apply(dsn, state)),
                ("drift", lambda: drift(dsn, state)),
            ):
                took, outcome = timed(label, run)
                over |= took > LIMITS[label]
                print(f"{'':>14}{len(outcome.changes)} changes")  # type: ignore[attr-defined]
        return 1 if over else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
