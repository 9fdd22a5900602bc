"""Step-call benchmark: what calling a step function costs against running its statement.

    .venv/bin/python benchmarks/step_calls.py [CALLS] [TENANTS]   (default 5000, 200)

1. Writes a pooled spec (the tables of examples/pooled-fleet) with TENANTS tenants in one
   pool and a workflow whose one step reads one row by its key, compiles its SQL, applies
   it to a throwaway PostgreSQL and puts 50 rows per tenant into each table.
2. Times CALLS calls of the step function (run checks, bookkeeping, row-level security
   bound to the calling agent's tenant) by an agent's login after `SET ROLE` to the agent's
   role (as compiler.runtime does), and CALLS runs of the same
   SELECT by the tenant's application login (its row-level security policy); both over
   TCP on 127.0.0.1, autocommit, prepared by psycopg after five runs, one row each.
3. Prints the time per call of each and the median of the ratios of the rounds, which
   alternate between the two so that both meet the same load (target: at most 1.5x).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.sql_pool import HEAD, TENANT  # noqa: E402
from compiler.emit.sql import FAMILY  # noqa: E402
from compiler.graph import build_graph  # noqa: E402
from compiler.pipeline import validate  # noqa: E402
from compiler.sqlops.converge import apply, load_state  # noqa: E402
from tests.support.postgres import running_server  # noqa: E402

TARGET = "pool-fleet-eu"
TARGET_RATIO = 1.5
ROWS = 50
CALLS_PER_RUN = 100  # maxSteps: a new run every 100 calls (counted in the time)
WORKFLOW = """\
---
apiVersion: paybill.dev/v1
kind: Workflow
metadata: {name: lookup}
spec:
  requiresFeature: nudges
  trigger: {event: item.asked}
  limits: {maxSteps: 100, timeoutSeconds: 3600, maxRowsPerStep: 1}
  steps:
    - id: get
      query: {table: work-items, operation: select, columns: [id, select, from], where: [id]}
"""
STATEMENT = (
    'SELECT t."id", t."select", t."from" FROM "order"."work-items" AS t '
    'WHERE t."id" = ANY (%s) LIMIT 2'
)
CALL = 'SELECT * FROM "paybill_api"."lookup.get"(%s, %s)'


def write_spec(folder: Path, tenants: int) -> None:
    fleet = REPO / "examples" / "pooled-fleet"
    head = HEAD.replace("workflows: [stale-items]", "workflows: [stale-items, lookup]")
    (folder / "platform.yaml").write_text(head.replace("runsPerDay: 100", "runsPerDay: 1000"))
    (folder / "schema.yaml").write_text((fleet / "schema.yaml").read_text())
    workflows = (fleet / "agents.yaml").read_text().split("---\n")
    (folder / "workflows.yaml").write_text(
        "---\n".join(doc for doc in workflows if "kind: Workflow" in doc) + WORKFLOW
    )
    (folder / "tenants.yaml").write_text(
        "".join(TENANT.format(name=f"t{i:05d}") for i in range(tenants))
    )


def interleaved(
    calls: int, direct: Callable[[int], None], step: Callable[[int], None]
) -> tuple[float, float, float]:
    """µs per call of each, and the median of the rounds' ratios. The two alternate in
    rounds, so that both meet the same load on a shared machine."""
    for i in range(20):  # warm: plans cached, statements prepared
        direct(i)
        step(i)
    rounds = 9
    per_round = max(1, calls // rounds)
    times: dict[str, list[float]] = {"direct": [], "step": []}
    for round_ in range(rounds):
        for label, call in (("direct", direct), ("step", step)):
            start = time.perf_counter()
            for i in range(per_round):
                call(round_ * per_round + i)
            times[label].append((time.perf_counter() - start) / per_round * 1e6)
    ratio = statistics.median(s / d for s, d in zip(times["step"], times["direct"], strict=True))
    return statistics.median(times["direct"]), statistics.median(times["step"]), ratio


def prepare(server: Any, work: Path, tenants: int) -> None:
    """Compile the spec's SQL, apply it to database `bench`, and fill the table."""
    spec_dir, generated = work / "spec", work / "generated"
    spec_dir.mkdir()
    write_spec(spec_dir, tenants)
    spec = validate(spec_dir)
    for artifact in FAMILY.emit(spec, build_graph(spec), {}):
        path = generated / artifact.path  # type: ignore[union-attr]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifact.content)  # type: ignore[union-attr]
    with server.connect() as conn:
        conn.execute("CREATE DATABASE bench")
    start = time.perf_counter()
    apply(server.dsn("bench"), load_state(generated, TARGET))
    print(f"{tenants} tenants applied in {time.perf_counter() - start:.2f} s")
    with server.connect("bench") as conn:
        conn.execute(
            """INSERT INTO "order"."work-items"
               SELECT g, 't' || lpad(t::text, 5, '0'), 's', gen_random_uuid(), now(), false
               FROM generate_series(0, %s - 1) t, generate_series(1, %s) g""",
            [tenants, ROWS],
        )
        conn.execute('ANALYZE "order"."work-items"')
        conn.execute("CREATE ROLE bench_agent LOGIN IN ROLE agent_t00001_nudger")
        conn.execute("CREATE ROLE bench_app LOGIN IN ROLE app_t00001")


def measure(server: Any, calls: int) -> float:
    """Time both; the ratio of the step function's time to the statement's."""
    with (
        server.connect("bench", "bench_agent") as agent,
        server.connect("bench", "bench_app") as app,
    ):
        agent.execute("SET ROLE agent_t00001_nudger")  # as compiler.runtime does
        run: list[Any] = [None, CALLS_PER_RUN]  # id, steps made

        def step(i: int) -> None:
            if run[1] == CALLS_PER_RUN:
                if run[0] is not None:
                    agent.execute("SELECT paybill_api.finish_run(%s)", [run[0]])
                found = agent.execute("SELECT paybill_api.start_run('lookup')").fetchone()
                run[:] = [found[0] if found else None, 0]
            rows = agent.execute(CALL, [run[0], [i % ROWS + 1]]).fetchall()
            run[1] += 1
            assert len(rows) == 1

        def direct(i: int) -> None:
            rows = app.execute(STATEMENT, [[i % ROWS + 1]]).fetchall()
            assert len(rows) == 1

        statement, function, ratio = interleaved(calls, direct, step)
    print(f"{'the statement, directly':>22}: {statement:8.1f} µs per call (median of 9 rounds)")
    print(f"{'the step function':>22}: {function:8.1f} µs per call (median of 9 rounds)")
    return ratio


def main() -> int:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    tenants = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    work = Path(tempfile.mkdtemp(prefix="paybill-step-bench-"))
    try:
        with running_server() as server:
            prepare(server, work, tenants)
            try:
                ratio = measure(server, calls)
            finally:
                with server.connect("bench") as conn:
                    conn.execute("DROP ROLE bench_agent")
                    conn.execute("DROP ROLE bench_app")
        verdict = "ok" if ratio <= TARGET_RATIO else f"OVER the {TARGET_RATIO:g}x target"
        print(f"{'overhead':>22}: {ratio:8.2f}x {verdict}")
        return 0 if ratio <= TARGET_RATIO else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
