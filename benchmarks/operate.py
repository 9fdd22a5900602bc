"""Plan, apply and drift benchmarks: the change set of a large fleet, and Terraform runs on
the sandbox (a local AWS emulator and PostgreSQL, started and stopped here).

    .venv/bin/python benchmarks/operate.py changeset [TENANTS] [--fleet DIR]  (default 10000)
    .venv/bin/python benchmarks/operate.py plan [--counts 1 10 50] [--jobs 1 4]
    .venv/bin/python benchmarks/operate.py apply [--jobs 1 2 4]
    .venv/bin/python benchmarks/operate.py drift [--stacks 200] [--jobs 4]

- changeset: a fleet of TENANTS tenants compiled and committed to git; a pull request
  changes one tenant's plan and adds one. Prints the time to read the head's records and
  to compute the change set, and the wall time of `paybill plan --no-terraform --base
  HEAD` (the whole command: start-up, staleness check, change set, SQL and ACL differences,
  summary) against the git base. No cloud, no database.
- plan: a repository with one pool, applied on the sandbox; a pull request adds N pooled
  tenants; prints the wall time of `paybill plan --base main` (N stacks, each `init`, `plan`,
  `show -json`) for each N and each --jobs.
- apply: the walk's repository (a pool; a pooled, a bridge and a silo tenant: three
  database instances) applied from empty with `paybill apply`, then `paybill drift`, for
  each --jobs, each on a fresh sandbox.
- drift: a pool and STACKS-1 pooled tenants applied (the apply's wall time is printed too),
  then `paybill drift` of all STACKS stacks.

Numbers only; the AWS provider's start-up (about 15 s a stack here) and its waits for
database instances dominate. Everything runs in a temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import fleet  # noqa: E402  (benchmarks/fleet.py, next to this script)

from compiler.operate.changeset import change_set  # noqa: E402
from compiler.operate.sources import FolderSource, GitSource, open_base  # noqa: E402
from compiler.records import read_records  # noqa: E402
from tests.operate.repo import TENANTS, Repository, Run, tenant  # noqa: E402
from tests.operate.test_walk import sandbox_env  # noqa: E402

T = TypeVar("T")
MIX = (("starter", "active", "active", 50), ("pro", "active", "active", 30))
MIX_SILO = (("enterprise", "active", "active", 20),)


def timed(run: Callable[[], T]) -> tuple[float, T]:
    started = time.monotonic()
    result = run()
    return time.monotonic() - started, result


def expect(run: Run, *codes: int) -> Run:
    if run.code not in codes:
        raise SystemExit(f"exit {run.code}, expected {codes}\n{run.out}{run.err}")
    return run


def seconds_of(repo: Repository, *args: str, code: int = 0) -> float:
    """Wall seconds of `paybill ARGS` in the repository, which must exit with `code`."""
    started = time.monotonic()
    expect(repo.paybill(*args), code)
    return time.monotonic() - started


@contextmanager
def sandbox(repo: Repository) -> Iterator[None]:
    """A fresh sandbox for the repository (its folder readable by PostgreSQL's user)."""
    folder = Path(tempfile.mkdtemp(prefix="paybill-bench-sandbox-"))
    folder.chmod(0o755)
    expect(repo.paybill("sandbox", "up", str(folder)), 0)
    repo.env = sandbox_env((folder / "sandbox.env").read_text())
    try:
        yield
    finally:
        repo.paybill("sandbox", "down", str(folder))
        shutil.rmtree(folder, ignore_errors=True)


def bench_changeset(tenants: int, compiled: Path | None) -> None:
    root = Path(tempfile.mkdtemp(prefix="paybill-bench-changeset-"))
    try:
        started = time.monotonic()
        if compiled is None:
            repo = Repository.create(root / "platform", {})
            shutil.rmtree(root / "platform/spec")
            fleet.write_fleet(root / "platform/spec", tenants, MIX + MIX_SILO)
        else:
            # A fleet compiled by `compile_fleet.py --keep DIR`: DIR/<tenants>/spec, generated.
            shutil.copytree(compiled / str(tenants), root / "platform")
            repo = Repository(root / "platform")
            repo.git("init", "-q", "-b", "main")
            (root / "platform/.gitignore").write_text(".paybill/\nplan/\ndrift/\n")
        repo.commit(f"{tenants} tenants")
        print(
            f"fleet of {tenants} tenants compiled and committed: {time.monotonic() - started:.1f} s"
        )
        pull_request(root / "platform/spec", tenants)
        compiled = repo.paybill("compile", "spec", "--out", "generated")
        expect(compiled, 0)
        generated = root / "platform/generated"
        seconds, records = timed(lambda: read_records(generated))
        print(f"read the head's {len(records)} records: {seconds:.2f} s")
        base = open_base("HEAD", generated)
        assert isinstance(base, GitSource)
        head = FolderSource(generated)
        seconds, changes = timed(lambda: change_set(base, head, records))
        base.close()
        print(
            f"change set against git HEAD: {seconds:.2f} s, "
            f"{len(changes.changes)} nodes changed ({', '.join(sorted(changes.changes))})"
        )
        seconds, _ = timed(lambda: change_set(FolderSource(generated), head, records))
        print(f"change set of a folder against itself (every record read twice): {seconds:.2f} s")
        seconds, run = timed(lambda: repo.paybill("plan", "--base", "HEAD", "--no-terraform"))
        expect(run, 2)
        print(f"paybill plan --no-terraform --base HEAD, whole command: {seconds:.2f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def pull_request(spec: Path, tenants: int) -> None:
    """The first starter tenant moves to the free plan (both pooled: no data moves) and a
    tenant is added, in the fleet's layout: one `tenants.yaml` (written here) or one file per
    tenant under `tenants/` (as `compile_fleet.py --keep` leaves it)."""
    added = fleet.tenant_document(tenants, "starter", "active", "active", "eu-central-1")
    single = spec / "tenants.yaml"
    files = [single] if single.is_file() else sorted((spec / "tenants").glob("*.yaml"))
    moved = next((f for f in files if STARTER in f.read_text()), None)
    if moved is None:
        raise SystemExit(f"no tenant on the starter plan under {spec}")
    moved.write_text(moved.read_text().replace(STARTER, "  plan: free\n", 1))
    if single.is_file():
        single.write_text(single.read_text() + "---\n" + added)
    else:
        (spec / "tenants" / f"{fleet.tenant_name(tenants)}.yaml").write_text(added)


STARTER = "  plan: starter\n"


def pooled(count: int, first: int = 0) -> dict[str, str]:
    return {f"p{i:04d}": tenant(f"p{i:04d}", "starter") for i in range(first, first + count)}


def bench_plan(counts: list[int], jobs: list[int]) -> None:
    root = Path(tempfile.mkdtemp(prefix="paybill-bench-plan-"))
    try:
        repo = Repository.create(root / "platform", {})
        with sandbox(repo):
            seconds = seconds_of(repo, "apply", "--jobs", "2")
            print(f"the pool applied: {seconds:.1f} s")
            work = Path(repo.env["PAYBILL_WORKDIR"]) / "stacks"
            for count in counts:
                branch = f"add-{count}"
                repo.git("checkout", "-q", "-b", branch, "main")
                for name, text in pooled(count).items():
                    repo.write(f"tenants/{name}.yaml", text)
                repo.commit(f"{count} pooled tenants")
                for job in jobs:
                    for copy in work.glob("tenant-*"):
                        shutil.rmtree(copy)
                    out = f"plan-{count}-{job}"
                    args = ("plan", "--base", "main", "--jobs", str(job), "--out", out)
                    seconds, run = timed(lambda args=args: repo.paybill(*args))
                    expect(run, 2)
                    planned = len(repo.plan_json(out)["stacks"])
                    print(
                        f"plan of {count:3} new stacks ({planned} planned), jobs {job}: "
                        f"{seconds:7.1f} s wall, {seconds / count:5.1f} s per stack"
                    )
                repo.git("checkout", "-q", "main")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bench_apply(jobs: list[int]) -> None:
    for job in jobs:
        root = Path(tempfile.mkdtemp(prefix="paybill-bench-apply-"))
        try:
            repo = Repository.create(root / "platform", TENANTS)
            with sandbox(repo):
                seconds = seconds_of(repo, "apply", "--jobs", str(job))
                print(f"apply from empty (4 stacks, 3 databases), jobs {job}: {seconds:.1f} s")
                seconds = seconds_of(repo, "drift", "--jobs", str(job))
                print(f"drift (4 stacks, 3 databases), jobs {job}: {seconds:.1f} s")
        finally:
            shutil.rmtree(root, ignore_errors=True)


def bench_drift(stacks: int, jobs: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="paybill-bench-drift-"))
    try:
        repo = Repository.create(root / "platform", pooled(stacks - 1))
        with sandbox(repo):
            seconds = seconds_of(repo, "apply", "--jobs", str(jobs))
            print(
                f"apply of {stacks} stacks (a pool, pooled tenants), jobs {jobs}: {seconds:.1f} s"
            )
            seconds = seconds_of(repo, "drift", "--jobs", str(jobs))
            print(f"drift of {stacks} stacks and 1 database, jobs {jobs}: {seconds:.1f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    changeset = sub.add_parser("changeset")
    changeset.add_argument("tenants", nargs="?", type=int, default=10000)
    changeset.add_argument(
        "--fleet",
        type=Path,
        help="start from the fleet `compile_fleet.py --keep DIR TENANTS` left in DIR "
        "instead of writing and compiling one",
    )
    plan = sub.add_parser("plan")
    plan.add_argument("--counts", type=int, nargs="+", default=[1, 10, 50])
    plan.add_argument("--jobs", type=int, nargs="+", default=[1, 4])
    apply = sub.add_parser("apply")
    apply.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    drift = sub.add_parser("drift")
    drift.add_argument("--stacks", type=int, default=200)
    drift.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    if args.what == "changeset":
        bench_changeset(args.tenants, args.fleet)
    elif args.what == "plan":
        bench_plan(args.counts, args.jobs)
    elif args.what == "apply":
        bench_apply(args.jobs)
    else:
        bench_drift(args.stacks, args.jobs)


if __name__ == "__main__":
    main()
