"""What `paybill compile` makes of a move out of a home with a database of its own: the new
home needs a stack of its own name, the old one is kept in generated/ exactly as it was
(also by a compile of other tenants alone) until `retireOld: true`, and every way of losing
it unconfirmed is refused with the lines to write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.operate.repo import Repository, tenant
from tests.support.tools import require_binary
from tests.test_records import SCHEMAS, errors

MOVE = "  migration: {from: bridge/eu-shared, to: silo/aws/eu-central-1}\n"
NAMED = "  stack: tenant-alpha-2\n"
RETIRE = "  migration: {from: bridge/eu-shared, to: silo/aws/eu-central-1, retireOld: true}\n"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    require_binary("git", "install git")
    tenants = {"alpha": tenant("alpha", "pro"), "delta": tenant("delta", "starter")}
    return Repository.create(tmp_path / "platform", tenants)


def compiled(repo: Repository, out: str = "generated") -> tuple[int, str]:
    done = repo.paybill("compile", "spec", "--out", out)
    return done.code, done.out + done.err


def test_the_new_home_needs_a_stack_of_its_own_name(repo: Repository) -> None:
    repo.write("tenants/alpha.yaml", tenant("alpha", "enterprise", pool=None, extra=MOVE))
    code, said = compiled(repo)
    assert code == 1, said
    assert "spec/tenants/alpha.yaml:10:" in said
    assert "both homes would be stack tenant-alpha" in said
    assert "add 'stack: tenant-alpha-2' to the tenant's spec" in said
    assert "Traceback" not in said


def test_the_old_home_is_kept_as_it_was_until_retire_old(repo: Repository) -> None:
    generated = repo.root / "generated"
    stack = _files(generated / "stacks" / "tenant-alpha")
    repo.write("tenants/alpha.yaml", tenant("alpha", "enterprise", pool=None, extra=MOVE + NAMED))
    code, said = compiled(repo)
    assert code == 0, said
    assert _files(generated / "stacks" / "tenant-alpha") == stack
    assert (generated / "stacks" / "tenant-alpha-2" / "cdk.tf.json").is_file()
    record = json.loads((generated / "nodes" / "tenant" / "alpha.json").read_text())
    assert record["tenant"]["kept"] == {"home": "bridge/eu-shared", "stack": "tenant-alpha"}
    assert record["tenant"]["stack"] == "tenant-alpha-2"
    assert errors(SCHEMAS / "node-v1.schema.json", record) == []
    # Compiling again, and a compile of another tenant alone, keep it too.
    assert compiled(repo)[0] == 0
    repo.edit("tenants/delta.yaml", "displayName: Delta", "displayName: Delta Corp")
    code, said = compiled(repo)
    assert code == 0, said
    assert _files(generated / "stacks" / "tenant-alpha") == stack
    # retireOld lets it go.
    repo.write("tenants/alpha.yaml", tenant("alpha", "enterprise", pool=None, extra=RETIRE + NAMED))
    code, said = compiled(repo)
    assert code == 0, said
    assert not (generated / "stacks" / "tenant-alpha").exists()
    assert not (generated / "sql" / "tenant-alpha").exists()
    assert '"kept"' not in (generated / "nodes" / "tenant" / "alpha.json").read_text()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", "without it the old home would be destroyed unconfirmed"),
        (
            "  migration: {from: pooled/eu-shared, to: silo/aws/eu-central-1}\n",
            "the tenant's old home bridge/eu-shared (stack tenant-alpha",
        ),
    ],
)
def test_the_kept_home_is_never_dropped_unconfirmed(
    repo: Repository, extra: str, expected: str
) -> None:
    repo.write("tenants/alpha.yaml", tenant("alpha", "enterprise", pool=None, extra=MOVE + NAMED))
    assert compiled(repo)[0] == 0
    repo.write("tenants/alpha.yaml", tenant("alpha", "enterprise", pool=None, extra=extra + NAMED))
    code, said = compiled(repo)
    assert code == 1, said
    assert expected in said
    assert "retireOld: true}' to retire it" in said
    assert (repo.root / "generated" / "stacks" / "tenant-alpha" / "cdk.tf.json").is_file()


def test_a_kept_home_the_output_folder_cannot_give_is_an_error(repo: Repository) -> None:
    repo.write("tenants/alpha.yaml", tenant("alpha", "enterprise", pool=None, extra=MOVE + NAMED))
    assert compiled(repo)[0] == 0
    generated = repo.root / "generated"
    kept = generated / "stacks" / "tenant-alpha" / "cdk.tf.json"
    kept.write_text(kept.read_text().replace('"tenant"', '"tenant2"', 1))
    code, said = compiled(repo)
    assert code == 1, said
    assert "no longer holds its files as they were written" in said
    assert "git checkout origin/main -- generated/" in said
    assert "Traceback" not in said
    # An empty output folder has no record of the old home at all: compiled without the
    # previous output, the move is checked like any first compile (nothing to keep).
    shutil.rmtree(generated)
    code, said = compiled(repo)
    assert code == 0, said
    assert not (generated / "stacks" / "tenant-alpha").exists()


def test_a_stack_is_renamed_only_by_a_move_and_names_are_unique(repo: Repository) -> None:
    repo.write("tenants/delta.yaml", tenant("delta", "starter", extra="  stack: tenant-delta-2\n"))
    code, said = compiled(repo)
    assert code == 1, said
    assert "the tenant's stack was tenant-delta" in said
    assert "write 'stack: tenant-delta'" in said
    repo.write("tenants/delta.yaml", tenant("delta", "starter"))
    repo.write("tenants/gamma.yaml", tenant("gamma", "starter", extra="  stack: tenant-alpha\n"))
    code, said = compiled(repo)
    assert code == 1, said
    assert "stack tenant-alpha is tenant alpha's already" in said
