"""A platform repository (tests/operate/repo.py) run against a `paybill sandbox` of its own
(a local AWS emulator and PostgreSQL), for the end-to-end modules: test_walk.py and
test_walk_migrations.py, each on a worker and a sandbox of its own."""

from __future__ import annotations

import shlex
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import boto3
import psycopg
from psycopg import sql

from compiler.emit.sql.state import TableState
from compiler.errors import EnvironmentProblem
from compiler.sandbox.emulator import HOW_TO_INSTALL, require_moto
from compiler.sandbox.postgres import HOW_TO_INSTALL as HOW
from compiler.sandbox.postgres import find_bin_dir
from tests.emit.stacks.terraform import terraform
from tests.operate.repo import Repository, Run
from tests.support.tools import missing

JOBS = "4"


def sandbox_env(text: str) -> dict[str, str]:
    """The variables `sandbox.env` exports."""
    out = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            out[name] = shlex.split(value)[0]
    return out


@contextmanager
def sandboxed(root: Path, tenants: Mapping[str, str]) -> Iterator[Repository]:
    """A repository of these tenants in `root`, with a sandbox up for as long as it is used."""
    terraform()
    try:
        require_moto()
    except EnvironmentProblem:
        missing("moto's server (the local AWS emulator)", HOW_TO_INSTALL)
    if find_bin_dir() is None:
        missing("PostgreSQL server binaries", HOW)
    repository = Repository.create(root / "platform", tenants)
    # As root, the sandbox's PostgreSQL runs as the `postgres` user, which must be able to
    # reach its folder: pytest's own folders are private.
    sandbox = Path(tempfile.mkdtemp(prefix="paybill-walk-"))
    sandbox.chmod(0o755)
    up = repository.paybill("sandbox", "up", str(sandbox))
    assert up.code == 0, up.out + up.err
    repository.env = sandbox_env((sandbox / "sandbox.env").read_text())
    try:
        yield repository
    finally:
        down = repository.paybill("sandbox", "down", str(sandbox))
        shutil.rmtree(sandbox, ignore_errors=True)
        assert down.code == 0, down.out + down.err


def expect(run: Run, code: int) -> Run:
    """The run, having exited with `code`; otherwise everything it printed."""
    assert run.code == code, f"exit {run.code}, expected {code}\n{run.out}{run.err}"
    return run


def aws(repo: Repository, service: str) -> object:
    return boto3.client(
        service,
        endpoint_url=repo.env["AWS_ENDPOINT_URL"],
        region_name="eu-central-1",
        aws_access_key_id=repo.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=repo.env["AWS_SECRET_ACCESS_KEY"],
    )


def outcomes(run_out: str) -> dict[str, str]:
    """node -> outcome, from apply's report."""
    found = {}
    for line in run_out.splitlines():
        if line.startswith(("wave ", "removed ")) and ": " in line:
            head, _, rest = line.partition(": ")
            found[head.split()[-1]] = rest.split(":")[0]
    return found


def merged(repo: Repository, branch: str, path: str, text: str, message: str) -> tuple[str, Run]:
    """A pull request that writes one spec file: planned (changes), merged into main and
    its reviewed plan applied. Its plan summary, and the apply."""
    repo.git("checkout", "-q", "-b", branch)
    repo.write(path, text)
    repo.commit(message)
    expect(repo.paybill("plan", "--base", "main", "--jobs", JOBS), 2)
    summary = (repo.root / "plan/summary.md").read_text()
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", branch)
    return summary, expect(repo.paybill("apply", "--plan", "plan", "--jobs", JOBS), 0)


def dsn_template(repo: Repository) -> str:
    """The sandbox's DSN, `{target}` standing for the database."""
    return Path(repo.env["PAYBILL_DSN_FILE"]).read_text().splitlines()[-1].partition("=")[2]


def rows_of(template: str, target: str, tables: list[TableState]) -> dict[str, int]:
    """alpha's row count in each table of `target`'s database."""
    out = {}
    with psycopg.connect(template.replace("{target}", target), autocommit=True) as conn:
        for table in tables:
            query = sql.SQL("SELECT count(*) FROM {}.{} WHERE tenant_id = 'alpha'").format(
                sql.Identifier(table.schema), sql.Identifier(table.name)
            )
            found = conn.execute(query).fetchone()
            out[f"{table.schema}.{table.name}"] = int(found[0]) if found else -1
    return out
