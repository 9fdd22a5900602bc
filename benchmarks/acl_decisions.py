"""ACL benchmark: generation cost at fleet size, then decisions per second after load.

    .venv/bin/python benchmarks/acl_decisions.py [TENANTS]   (default 10000)

1. Writes a fleet spec into a temporary folder: the platform, plans, tables, tools, agents
   and workflows of spec/, plus TENANTS generated tenants (mixed plans, states, overrides).
2. Loads and resolves it, then calls the acl family's `input_digests` and `emit` directly
   and prints what ACL + Cedar generation costs, from scratch and when every tenant but
   one is reused from the previous compile.
3. Writes the ACL files, loads them all (`AclSet`, with schema validation), and prints how
   many `compiler.acl.authorize` decisions per second one Python thread makes over a mix of
   allowed and denied requests across every tenant (target: at least 100,000/s).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import fleet  # noqa: E402  (benchmarks/fleet.py, next to this script)

from compiler.acl import Acl, AclSet, Action, Query, ToolCall, authorize  # noqa: E402
from compiler.emit import Artifact  # noqa: E402
from compiler.emit.acl import FAMILY  # noqa: E402
from compiler.graph import build_graph  # noqa: E402
from compiler.pipeline import validate  # noqa: E402

DECISIONS = 1_000_000
TARGET = 100_000

# (plan, state, subscription, share of the fleet)
MIX = (
    ("starter", "active", "active", 30),
    ("pro", "active", "active", 20),
    ("free", "active", "trialing", 15),
    ("enterprise", "active", "active", 10),
    ("pro", "active", "past_due", 5),
    ("starter", "suspended", "past_due", 8),
    ("free", "pending", "trialing", 7),
    ("pro", "offboarding", "canceled", 5),
)


def _overrides(index: int, plan: str) -> str:
    if plan == "pro" and index % 7 == 0:
        return "  overrides: {features: [refunds], limits: {agentRunsPerDay: 150}}\n"
    return ""


def write_fleet(root: Path, tenants: int) -> None:
    fleet.write_fleet(root, tenants, MIX, _overrides)


def timed(label: str, seconds: float, extra: str = "") -> None:
    print(f"{label:<46} {seconds:8.2f} s{extra}")


Request = tuple[Acl, str, str, str, Action | None, bool]


def requests(acls: AclSet, count: int) -> list[Request]:
    """A reproducible mix: every allowed step (with and without a matching query or tool
    call), plus unknown agents, workflows and steps, wrong columns and unapproved steps."""
    rng = random.Random(11)
    names = sorted(acls)
    out: list[Request] = []
    while len(out) < count:
        acl = acls[rng.choice(names)]
        if not acl.agents:
            out.append((acl, "collections", "invoice-reminders", "notify", None, False))
            continue
        agent = acl.agents[rng.choice(sorted(acl.agents))]
        flow = agent.workflows[rng.choice(sorted(agent.workflows))]
        step = rng.choice(flow.steps)
        action: Action | None = None
        if step.query is not None and rng.random() < 0.5:
            q = step.query
            action = Query(q.table, q.operation, q.columns[:2], q.where[:1], rows=q.max_rows)
        elif step.tool is not None and rng.random() < 0.5:
            action = ToolCall(step.tool.name)
        roll = rng.random()
        if roll < 0.1:
            out.append((acl, "nobody", flow.name, step.id, None, False))
        elif roll < 0.2:
            out.append((acl, agent.name, flow.name, "no-such-step", None, False))
        elif roll < 0.3 and step.query is not None:
            wrong = Query(step.query.table, step.query.operation, ("no_such_column",))
            out.append((acl, agent.name, flow.name, step.id, wrong, False))
        else:
            out.append((acl, agent.name, flow.name, step.id, action, rng.random() < 0.5))
    return out


def main() -> None:
    tenants = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory(prefix="paybill-acl-bench-") as tmp:
        root = Path(tmp)
        spec_dir = root / "spec"
        spec_dir.mkdir()
        write_fleet(spec_dir, tenants)
        print(f"fleet: {tenants} tenants")

        start = time.perf_counter()
        spec = validate(spec_dir)
        graph = build_graph(spec)
        timed("load + resolve + graph (not ACL work)", time.perf_counter() - start)

        start = time.perf_counter()
        digests = FAMILY.input_digests(spec, graph)
        digest_time = time.perf_counter() - start
        start = time.perf_counter()
        artifacts = FAMILY.emit(spec, graph, {})
        emit_time = time.perf_counter() - start
        size = sum(len(a.content) for a in artifacts)
        timed("acl input digests", digest_time, f"  ({len(digests)} nodes)")
        timed(
            "acl + cedar emit",
            emit_time,
            f"  ({len(artifacts)} files, {size / 1e6:.1f} MB)",
        )
        timed("ACL + Cedar generation, total", digest_time + emit_time)
        changed = sorted(digests)[0]
        reuse: dict[str, list[Artifact]] = {n: [] for n in digests if n != changed}
        for artifact in artifacts:
            if artifact.node in reuse:
                reuse[artifact.node].append(artifact)
        start = time.perf_counter()
        FAMILY.emit(spec, graph, reuse)
        timed("acl + cedar emit, one tenant changed", time.perf_counter() - start)

        out = root / "generated"
        for artifact in artifacts:
            target = out / artifact.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(artifact.content)

        start = time.perf_counter()
        acls = AclSet(out / "acl").load_all()
        timed("load every ACL, schema-validated", time.perf_counter() - start, f"  ({len(acls)})")
        start = time.perf_counter()
        AclSet(out / "acl", validate=False).load_all()
        timed("load every ACL, not validated", time.perf_counter() - start)

        batch = requests(acls, DECISIONS)
        allowed = 0
        start = time.perf_counter()
        for acl, agent, workflow, step, action, approved in batch:
            if authorize(acl, agent, workflow, step, action, approved=approved).allowed:
                allowed += 1
        elapsed = time.perf_counter() - start
        rate = len(batch) / elapsed
        print(
            f"decisions: {len(batch):,} in {elapsed:.2f} s = {rate:,.0f}/s "
            f"({allowed:,} allowed, {len(batch) - allowed:,} denied); "
            f"target {TARGET:,}/s: {'met' if rate >= TARGET else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
