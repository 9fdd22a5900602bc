"""`paybill compile` as a whole: stacks in the output tree and their records, determinism,
all-or-nothing writes, `--check`, pruning, incremental reuse and the data-deletion guard.
(The writer's own guarantees — locking, crashes, refusals, merges — are in tests/write/.)"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from compiler import __version__
from compiler.cli import main
from compiler.emit import artifact
from compiler.emit import sql as sql_family
from compiler.emit import stacks as stacks_family
from compiler.emit.acl import inputs as acl_inputs
from compiler.emit.stacks import module_cache, runtime, synth
from compiler.emit.stacks.synth import ShapeBuild, ShapeJob
from compiler.emit.stacks.template import Template
from compiler.emit.stacks.values import Scalar
from compiler.pipeline import compile_spec
from compiler.write import Writer, journal
from tests.conftest import SPEC
from tests.support.tools import REPO

Tree = dict[str, tuple[bytes, int]]
STACK_ACME = "stacks/tenant-acme/cdk.tf.json"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of spec/ as `spec`, compiled into `generated`, with the folder as cwd, so paths
    in messages read as a user sees them."""
    shutil.copytree(SPEC, tmp_path / "spec")
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "spec", "--out", "generated"]) == 0
    return tmp_path


def tree(folder: Path) -> Tree:
    """Every output file under `folder` with its bytes and modification time (the writer's
    own `.paybill` folder is not output)."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".paybill" not in p.relative_to(folder).parts
    }


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_compile_writes_every_stack_and_a_record_of_each_node(workdir: Path) -> None:
    stacks = sorted(p.parent.name for p in (workdir / "generated/stacks").glob("*/cdk.tf.json"))
    assert stacks == [
        "pool-eu-shared",
        "pool-us-shared",
        "tenant-acme",
        "tenant-globex",
        "tenant-hooli",
        "tenant-initech",
        "tenant-piedpiper",
        "tenant-stark",
        "tenant-umbrella",
        "tenant-vandelay",
        "tenant-wayne",
    ]
    manifest = json.loads((workdir / "generated/manifest.json").read_bytes())
    assert manifest == {
        "generator": f"paybill {__version__}",
        "records": {"path": "nodes/<kind>/<name>.json", "schemaVersion": "paybill.dev/node/v1"},
        "schemaVersion": "paybill.dev/manifest/v2",
    }
    folder = workdir / "generated/stacks/tenant-wayne"
    node = json.loads((workdir / "generated/nodes/stack/tenant-wayne.json").read_bytes())
    assert node["artifacts"] == [
        {
            "bytes": (folder / "cdk.tf.json").stat().st_size,
            "path": "stacks/tenant-wayne/cdk.tf.json",
            "sha256": hashlib.sha256((folder / "cdk.tf.json").read_bytes()).hexdigest(),
        }
    ]
    assert node["dependsOn"] == ["module:aws-bridge-service-limited", "stack:pool-eu-shared"]
    module = json.loads((workdir / "generated/nodes/module/aws-pool.json").read_bytes())
    assert [a["path"] for a in module["artifacts"]] == [
        "modules/aws-pool/.terraform.lock.hcl",
        "modules/aws-pool/cdk.tf.json",
        "modules/aws-pool/stack-template.json",
    ]
    assert (module["dependsOn"], module["wave"]) == ([], 0)
    assert (node["id"], node["kind"], node["wave"]) == ("stack:tenant-wayne", "stack", 1)
    assert len(node["inputDigest"]) == 64
    # Every file belongs to exactly one node's record (the records and the manifest aside).
    records = list((workdir / "generated/nodes").glob("*/*.json"))
    owned = [a["path"] for r in records for a in json.loads(r.read_bytes())["artifacts"]]
    files = [p for p in tree(workdir / "generated") if not p.startswith("nodes/")]
    assert sorted(owned) == sorted(p for p in files if p != "manifest.json")


def run_compile(out: Path, seed: str) -> None:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    subprocess.run(
        [sys.executable, "-m", "compiler", "compile", str(SPEC), "--out", str(out)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_output_is_byte_identical_under_different_hash_seeds(tmp_path: Path) -> None:
    run_compile(tmp_path / "one", "1")
    run_compile(tmp_path / "two", "4242")
    first = {k: v for k, (v, _) in tree(tmp_path / "one").items()}
    second = {k: v for k, (v, _) in tree(tmp_path / "two").items()}
    assert len(first) > 11
    assert first == second


def test_a_spec_error_leaves_the_output_untouched(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(workdir / "generated")
    capsys.readouterr()
    edit(workdir / "spec/tenants/globex.yaml", "plan: pro", "plan: prp")
    assert main(["compile", "spec", "--out", "generated"]) == 1
    assert capsys.readouterr().err == (
        "spec/tenants/globex.yaml:9:9: Tenant/globex spec.plan: unknown plan 'prp' "
        "(did you mean 'pro'?)\n1 error found\n"
    )
    assert tree(workdir / "generated") == before
    assert sorted(p.name for p in workdir.iterdir()) == ["generated", "spec"]


def test_a_failure_while_synthesizing_leaves_the_output_untouched(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(workdir / "generated")
    edit(workdir / "spec/tenants/globex.yaml", "displayName: Globex", "displayName: Globex Inc")
    edit(workdir / "spec/platform.yaml", "10.11.0.0/16", "10.12.0.0/16")
    # A module of its own for wayne's stack: something to synthesize.
    edit(
        workdir / "spec/tenants/wayne.yaml",
        "state: active",
        "state: active\n  confirmDestroy: [aws_db_instance.database]",
    )

    monkeypatch.setenv(module_cache.CACHE_VARIABLE, "off")  # synthesized, not read back

    def broken(jobs: list[ShapeJob]) -> list[ShapeBuild]:
        raise RuntimeError("synthesis failed")

    monkeypatch.setattr(synth, "build_all", broken)
    with pytest.raises(RuntimeError, match="synthesis failed"):
        compile_spec(Path("spec"), Path("generated"))
    assert tree(workdir / "generated") == before


def test_a_stack_its_provider_schema_refuses_fails_the_compile(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every module synthesized is validated against its provider's schema; a mistake of the
    builders is an error naming module, resource and attribute, and nothing is written."""
    monkeypatch.setenv(module_cache.CACHE_VARIABLE, "off")  # synthesized, not read back
    original = synth.build_all

    def misspelled(jobs: list[ShapeJob]) -> list[ShapeBuild]:
        return [
            ShapeBuild(b.module.replace(b'"storage_encrypted"', b'"storage_encryptd"'), b.template)
            for b in original(jobs)
        ]

    monkeypatch.setattr(synth, "build_all", misspelled)
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "fresh"]) == 1
    err = capsys.readouterr().err
    assert (
        "modules/aws-pool/cdk.tf.json: module aws-pool aws_db_instance.database.storage_encryptd: "
        "unknown attribute or block (did you mean 'storage_encrypted'?) (paybill generated this "
        "and the provider's schema refuses it: a bug in paybill, not in your spec; nothing was "
        "written, please report it with this message)\n"
    ) in err
    assert not (workdir / "fresh").exists() or not any((workdir / "fresh").iterdir())


def test_stamped_stacks_their_provider_schema_refuses_fail_the_compile_all_together(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stamped stacks are handed to the writer one at a time, and checked as they come: a
    refused one fails the compile once every stack was seen, with every problem, and what
    was staged before is not written."""
    original = Template.stamp

    def unknown_provider(self: Template, values: Mapping[str, Scalar]) -> bytes:
        return original(self, values).replace(b'"hashicorp/aws"', b'"hashicorp/awz"')

    monkeypatch.setattr(Template, "stamp", unknown_provider)
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "fresh"]) == 1
    err = capsys.readouterr().err
    stacks = sorted(p.parent.name for p in (workdir / "generated/stacks").glob("*/cdk.tf.json"))
    assert len(stacks) > 1
    for stack in stacks:
        assert (
            f"stacks/{stack}/cdk.tf.json: stack {stack.partition('-')[2]} "
            "terraform.required_providers: requires no provider of a known cloud, or more "
            "than one (paybill generated this"
        ) in err
    assert not (workdir / "fresh").exists() or not any((workdir / "fresh").iterdir())


def test_a_compile_holds_a_few_files_bytes_at_a_time_whatever_the_fleet(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each family hands its files to the writer as it builds them, and the writer keeps a
    digest of each: at no moment are more than a few files built and not yet taken, however
    many tenants there are (a fleet's files were once held whole, family by family)."""
    initech = (workdir / "spec/tenants/initech.yaml").read_text()
    for index in range(60):
        text = initech.replace("name: initech", f"name: pooled{index:02d}")
        (workdir / f"spec/tenants/pooled{index:02d}.yaml").write_text(text)
    built, taken, most = [0], [0], [0]
    made, take = artifact.Artifact.__post_init__, Writer.take

    def count_built(self: artifact.Artifact) -> None:
        made(self)
        built[0] += 1

    def count_taken(self: Writer, output: artifact.Output) -> artifact.Output:
        most[0] = max(most[0], built[0] - taken[0])
        taken[0] += isinstance(output, artifact.Artifact)
        return take(self, output)

    monkeypatch.setattr(artifact.Artifact, "__post_init__", count_built)
    monkeypatch.setattr(Writer, "take", count_taken)
    compile_spec(Path("spec"), Path("fresh"))
    assert taken[0] > 60 * 5  # each pooled tenant's SQL, ACL and records
    # At most the modules synthesized together (3 files each) and the three shared Cedar
    # files, built when the ACL family is prepared.
    assert most[0] <= 3 * len(list((workdir / "fresh/modules").iterdir())) + 3


def test_a_full_disk_while_writing_leaves_the_output_untouched(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(workdir / "generated")
    edit(workdir / "spec/platform.yaml", "10.11.0.0/16", "10.12.0.0/16")

    def disk_full(staging: Path, count: int) -> None:
        assert count > 0  # some bytes were staged already
        assert any(staging.iterdir())
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal, "_sync", disk_full)
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated"]) == 3
    assert capsys.readouterr().err == (
        "paybill: cannot write the output into 'generated': No space left on device; free "
        "some space on that file system and compile again. The output was left as it was.\n"
    )
    assert tree(workdir / "generated") == before
    assert sorted(p.name for p in (workdir / "generated/.paybill").iterdir()) == [
        ".gitignore",
        "cache",
    ]
    assert sorted(p.name for p in workdir.iterdir()) == ["generated", "spec"]


def test_check_lists_what_differs_and_writes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = workdir / "generated"
    total = len(tree(out))
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 0
    assert capsys.readouterr().out == f"generated is current ({total} files)\n"

    edit(out / "stacks/tenant-acme/cdk.tf.json", '"db.r6g.large"', '"db.r6g.4xlarge"')
    (out / "stacks/tenant-hooli/cdk.tf.json").unlink()
    (out / "stacks/notes.txt").write_text("hand-written\n")
    before = tree(out)
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 1
    assert capsys.readouterr().out == (
        f"generated is not current: 3 of {total} files differ\n"
        "  removed  stacks/notes.txt\n"
        "  changed  stacks/tenant-acme/cdk.tf.json\n"
        "  added    stacks/tenant-hooli/cdk.tf.json\n"
        "run: paybill compile spec --out generated\n"
    )
    assert tree(out) == before


def test_files_no_longer_produced_are_pruned_and_only_those(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = workdir / "generated"
    (out / "stacks/notes").mkdir()
    (out / "stacks/notes/README.md").write_text("hand-written\n")
    edit(
        workdir / "spec/tenants/stark.yaml",
        "state: offboarding",
        "state: deleted\n  confirmDataDeletion: stark",
    )
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert capsys.readouterr().out == (
        "compiled spec -> generated: 157 files (0 added, 1 changed, 12 removed); "
        "46 of 47 nodes reused unchanged; only 'stark' compiled again\n"
    )
    assert not (out / "stacks/tenant-stark").exists()
    assert not (out / "sql/tenant-stark").exists()
    assert not (out / "acl/stark.json").exists()
    assert not (out / "acl/entitlements/stark.json").exists()
    assert not (out / "nodes/stack/tenant-stark.json").exists()
    stark = json.loads((out / "nodes/tenant/stark.json").read_bytes())
    assert (stark["tenant"]["state"], stark["artifacts"]) == ("deleted", [])
    # No record says the compiler wrote this file: it stays, and --check points at it.
    assert (out / "stacks/notes/README.md").read_text() == "hand-written\n"
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 1
    assert "  removed  stacks/notes/README.md\n" in capsys.readouterr().out


def test_a_hand_edited_stack_is_rebuilt(workdir: Path) -> None:
    stack = workdir / "generated/stacks/tenant-acme/cdk.tf.json"
    original = stack.read_bytes()
    edit(stack, '"db.r6g.large"', '"db.r6g.4xlarge"')
    result = compile_spec(Path("spec"), Path("generated"))
    assert "stack:tenant-acme" not in result.reused
    assert stack.read_bytes() == original


def never(job: ShapeJob) -> ShapeBuild:
    raise AssertionError(f"module {job.module} was synthesized again")


def rate_for_vandelay(workdir: Path) -> None:
    """vandelay gets an API rate: another module (limited), one that is there already."""
    edit(
        workdir / "spec/tenants/vandelay.yaml",
        "apiRequestsPerSecond: null",
        "apiRequestsPerSecond: 30",
    )


def test_a_hand_edited_template_is_not_stamped_from(workdir: Path) -> None:
    """A template whose bytes are not those its record lists is built again before any
    stack is stamped from it."""
    template = workdir / "generated/modules/aws-pooled-shared-limited/stack-template.json"
    original = template.read_bytes()
    edit(template, "The tenant's API limits", "Anything at all")
    rate_for_vandelay(workdir)
    result = compile_spec(Path("spec"), Path("generated"))
    assert "module:aws-pooled-shared-limited" not in result.reused
    assert template.read_bytes() == original
    stack = (workdir / "generated/stacks/tenant-vandelay/cdk.tf.json").read_text()
    assert "Anything at all" not in stack
    assert compile_spec(Path("spec"), Path("generated"), check=True).changes == []


def test_one_tenant_changed_stamps_that_stack_only_and_synthesizes_nothing(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth, "build", never)
    monkeypatch.delenv(synth.JOBS_VARIABLE, raising=False)
    rate_for_vandelay(workdir)
    result = compile_spec(Path("spec"), Path("generated"), incremental=False)
    stack_nodes = set(result.graph.nodes("stack") + result.graph.nodes("module"))
    assert stack_nodes - result.reused == {"stack:tenant-vandelay"}
    stack_changes = [(c.change, c.path) for c in result.changes if c.path.startswith("stacks/")]
    assert stack_changes == [("changed", "stacks/tenant-vandelay/cdk.tf.json")]
    root = json.loads((workdir / "generated" / stack_changes[0][1]).read_bytes())
    assert root["module"]["tenant"]["source"] == "../../modules/aws-pooled-shared-limited"


def test_a_stack_letting_a_store_go_synthesizes_its_module_only(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(module_cache.CACHE_VARIABLE, "off")  # synthesized, not read back
    built: list[str] = []
    original = synth.build

    def counting(job: ShapeJob) -> ShapeBuild:
        built.append(job.module)
        return original(job)

    monkeypatch.setattr(synth, "build", counting)
    monkeypatch.setenv(synth.JOBS_VARIABLE, "1")
    edit(
        workdir / "spec/tenants/wayne.yaml",
        "state: active",
        "state: active\n  confirmDestroy: [aws_db_instance.database]",
    )
    result = compile_spec(Path("spec"), Path("generated"))
    assert built == ["tenant-wayne"]
    assert sorted(c.path for c in result.changes if not c.path.startswith("nodes/")) == [
        "modules/tenant-wayne/.terraform.lock.hcl",
        "modules/tenant-wayne/cdk.tf.json",
        "modules/tenant-wayne/stack-template.json",
        "stacks/tenant-wayne/cdk.tf.json",
    ]


def test_nothing_changed_reuses_every_stack(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth, "build", never)
    result = compile_spec(Path("spec"), Path("generated"))
    assert set(result.graph.nodes("stack")) <= result.reused
    assert result.changes == []


NO_NODE = """
import sys
from compiler.cli import main
code = main(sys.argv[1:])
started = sorted(m for m in ("cdktn", "jsii", "compiler.emit.stacks.cdk") if m in sys.modules)
print("imported:", started)
sys.exit(code)
"""


@pytest.mark.parametrize("check", [True, False])
def test_an_edit_that_changes_no_module_starts_no_node(workdir: Path, check: bool) -> None:
    """Neither `compile --check` nor `compile` imports cdktn (whose runtime is `node`) when
    every stack's module is there already: the changed stacks are stamped from templates."""
    edit(workdir / "spec/tenants/vandelay.yaml", "plan: starter", "plan: free")
    edit(workdir / "spec/tenants/acme.yaml", "state: active", "state: suspended")
    args = ["compile", "spec", "--out", "generated", *(["--check"] if check else [])]
    done = subprocess.run(
        [sys.executable, "-c", NO_NODE, *args],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == (1 if check else 0), done.stderr
    assert "imported: []" in done.stdout
    if check:
        assert "  changed  stacks/tenant-acme/cdk.tf.json\n" in done.stdout
    else:
        assert "only 'acme', 'vandelay' compiled again" in done.stdout


def _forge(folder: Path, node: str, path: str, old: str, new: str) -> None:
    """Change an output file and record its new digest in its node's record: what an older
    compiler's output looks like (consistent with its records, but not what this one
    builds)."""
    target = folder / path
    edit(target, old, new)
    kind, name = node.split(":")
    record_path = folder / "nodes" / kind / f"{name}.json"
    record = json.loads(record_path.read_bytes())
    for entry in record["artifacts"]:
        if entry["path"] == path:
            entry["sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
            entry["bytes"] = target.stat().st_size
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def test_check_hashes_files_instead_of_trusting_file_times(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    acl = workdir / "generated/acl/acme.json"
    times = acl.stat()
    edit(acl, '"default": "deny"', '"default": "allow"')
    os.utime(acl, ns=(times.st_atime_ns, times.st_mtime_ns))  # a size-keeping edit, old mtime
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 1
    assert "  changed  acl/acme.json\n" in capsys.readouterr().out


def test_check_rebuilds_only_what_changed(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(synth, "build", never)
    monkeypatch.setenv(synth.JOBS_VARIABLE, "1")
    rate_for_vandelay(workdir)
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated", "--check"]) == 1
    assert capsys.readouterr().out.splitlines()[1:] == [
        "  changed  acl/entitlements/vandelay.json",  # its API rate, as its application reads it
        "  changed  nodes/acl/vandelay.json",
        "  changed  nodes/stack/tenant-vandelay.json",
        "  changed  nodes/tenant/vandelay.json",
        "  changed  sql/pool-us-shared/tenants/vandelay.json",  # its row in paybill.tenants
        "  changed  sql/pool-us-shared/tenants/vandelay.sql",
        "  changed  stacks/tenant-vandelay/cdk.tf.json",
        "run: paybill compile spec --out generated",
    ]


@pytest.mark.parametrize(
    ("family", "node", "path", "old", "new"),
    [
        ("sql", "sql:tenant-acme", "sql/tenant-acme/state.json", '"target"', '"target" '),
        ("sql", "tenant:acme", "sql/tenant-acme/tenants/acme.json", '"tenant"', '"tenant" '),
        ("acl", "acl:acme", "acl/acme.json", '"default": "deny"', '"default": "allow"'),
        ("stacks", "stack:tenant-acme", STACK_ACME, '"db.r6g.large"', '"db.r6g.4xlarge"'),
    ],
)
def test_a_change_to_a_familys_code_rebuilds_its_output(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    family: str,
    node: str,
    path: str,
    old: str,
    new: str,
) -> None:
    """Output an older build of the code wrote is not reused: the code is in every digest.

    Full compiles: the code is changed in memory here, and an incremental compile knows the
    code by the compiler's files on disk (tests/write/test_incremental.py)."""
    original = (workdir / "generated" / path).read_bytes()
    _forge(workdir / "generated", node, path, old, new)
    unchanged = compile_spec(Path("spec"), Path("generated"), check=False, incremental=False)
    assert node in unchanged.reused  # same code, same inputs: the forged file is trusted
    real = artifact.code_digest

    def newer(package: str, *extra: str) -> str:
        return real(package, *extra) + ("-newer" if package == family else "")

    for module in (stacks_family, sql_family, acl_inputs):
        monkeypatch.setattr(module, "code_digest", newer)
    stacks_family.builder_digest.cache_clear()  # it caches what code_digest said
    request.addfinalizer(stacks_family.builder_digest.cache_clear)
    rebuilt = compile_spec(Path("spec"), Path("generated"), incremental=False)
    assert node not in rebuilt.reused
    assert (workdir / "generated" / path).read_bytes() == original


def test_moving_a_tenant_home_needs_its_migration_confirmed(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(workdir / "generated")
    edit(workdir / "spec/tenants/wayne.yaml", "plan: pro", "plan: starter")
    capsys.readouterr()
    assert main(["compile", "spec", "--out", "generated"]) == 1
    assert capsys.readouterr().err == (
        "spec/tenants/wayne.yaml:9:9: Tenant/wayne spec.plan: moving from bridge/eu-shared "
        "(in generated/) to pooled/eu-shared changes the tenant's isolation: a migration, "
        "which needs a reviewed confirmation (add 'migration: {from: bridge/eu-shared, to: "
        "pooled/eu-shared}' to the tenant's spec and compile; then run 'paybill plan --base "
        "origin/main' (your base branch): it prints the whole migration, which 'paybill apply' "
        "runs once merged, keeping the old home until a second confirmation, 'retireOld: "
        "true', retires it (docs/migrations.md))\n"
        "1 error found\n"
    )
    assert tree(workdir / "generated") == before
    # pooled -> silo moves rows too (into a new, empty database): the same rule.
    edit(workdir / "spec/tenants/wayne.yaml", "plan: starter", "plan: pro")
    edit(workdir / "spec/tenants/initech.yaml", "plan: starter\n", "plan: enterprise\n")
    edit(workdir / "spec/tenants/initech.yaml", "  pool: eu-shared\n", "")
    assert main(["compile", "spec", "--out", "generated"]) == 1
    assert "moving from pooled/eu-shared (in generated/) to silo/aws/eu-central-1" in (
        capsys.readouterr().err
    )
    edit(
        workdir / "spec/tenants/initech.yaml",
        "state: active",
        "state: active\n  migration: {from: pooled/eu-shared, to: silo/aws/eu-central-1}",
    )
    assert main(["compile", "spec", "--out", "generated"]) == 0
    record = json.loads((workdir / "generated/nodes/tenant/initech.json").read_bytes())
    assert record["confirm"] == {
        "dataDeletion": False,
        "migration": {
            "from": "pooled/eu-shared",
            "to": "silo/aws/eu-central-1",
            "retireOld": False,
        },
        "destroy": [],
    }
    assert record["tenant"]["cloud"] == "aws"


def test_a_confirmed_destroy_lifts_prevent_destroy_from_that_resource_only(workdir: Path) -> None:
    def lifecycle(stack: str) -> dict[str, object]:
        root = json.loads((workdir / f"generated/stacks/{stack}/cdk.tf.json").read_bytes())
        source = root["module"]["tenant"]["source"].removeprefix("../../")
        data = json.loads((workdir / "generated" / source / "cdk.tf.json").read_bytes())
        return {
            f"{kind}.{name}": body.get("lifecycle", {}).get("prevent_destroy", False)
            for kind, items in data["resource"].items()
            for name, body in items.items()
            if kind in ("aws_db_instance", "aws_s3_bucket", "aws_kms_key")
        }

    before = lifecycle("tenant-wayne")
    assert before["aws_db_instance.database"] is True
    edit(
        workdir / "spec/tenants/wayne.yaml",
        "state: active",
        "state: active\n  confirmDestroy: [aws_db_instance.database]",
    )
    assert main(["compile", "spec", "--out", "generated"]) == 0
    assert lifecycle("tenant-wayne") == {**before, "aws_db_instance.database": False}
    # Its own module: the shape's, used by globex, keeps the protection.
    assert lifecycle("tenant-globex") == before
    record = json.loads((workdir / "generated/nodes/tenant/wayne.json").read_bytes())
    assert record["confirm"]["destroy"] == ["aws_db_instance.database"]


def test_a_missing_node_is_an_environment_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runtime.shutil, "which", lambda name: None)
    monkeypatch.setenv(module_cache.CACHE_VARIABLE, "off")  # every module to synthesize
    assert main(["compile", str(SPEC), "--out", str(tmp_path / "out")]) == 3
    assert capsys.readouterr().err == (
        "paybill: 'node' is not installed: CDK for Terraform (cdktn) runs on Node.js; install "
        "Node.js 20 or later (e.g. apt-get install nodejs) and compile again\n"
    )
    assert not (tmp_path / "out").exists()


def test_the_committed_generated_folder_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    """What CI's `paybill compile spec --check` enforces, in the test suite as well."""
    assert main(["compile", str(SPEC), "--out", str(REPO / "generated"), "--check"]) == 0, (
        capsys.readouterr().out + "\nrun `make generated` and commit the result"
    )


def test_compile_writes_nothing_outside_the_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv(synth.JOBS_VARIABLE, "1")
    assert main(["compile", str(SPEC), "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "out"]
    assert list(elsewhere.iterdir()) == []
