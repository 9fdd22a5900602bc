"""Narrowed compiles: when only tenant files changed since the last compile into the same
folder, only those tenants are read and compiled, and the folder ends exactly as a whole
compile leaves it (`compile --check`, which compiles everything in memory, finds nothing to
change). Anything the narrowed compile cannot vouch for makes the compile a whole one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.cli import main
from compiler.emit.stacks import synth
from compiler.errors import SpecError
from compiler.pipeline import Compiled, compile_spec, validate
from compiler.write import cache as cache_module
from compiler.write import journal
from compiler.write import previous as previous_module
from tests.conftest import SPEC
from tests.write.test_cache import read_cache, write_cache
from tests.write.test_merge import CHANGES, Change, tenant

CACHE = "generated/.paybill/cache"


def compile_into(root: Path, **options: object) -> Compiled:
    return compile_spec(root / "spec", root / "generated", **options)  # type: ignore[arg-type]


def apply(root: Path, change: Change) -> None:
    path = root / "spec" / change.file
    if change.apply is None:
        path.unlink()
    else:
        path.write_text(change.apply(path.read_text() if path.exists() else ""))


def assert_current(root: Path) -> None:
    """The folder is exactly what a full compile of the spec gives."""
    assert [c.render() for c in compile_into(root, check=True).changes] == []


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault(synth.JOBS_VARIABLE, "1")  # synthesize in this process
    root = tmp_path_factory.mktemp("incremental") / "base"
    shutil.copytree(SPEC, root / "spec")
    assert compile_into(root).incremental is None
    return root


@pytest.fixture
def work(compiled: Path, tmp_path: Path) -> Path:
    """A copy of the compiled folder. Copying gives every file a new stat, so the first
    compile there is a full one (it writes nothing, and a cache of its own)."""
    root = tmp_path / "work"
    shutil.copytree(compiled, root, symlinks=True)
    first = compile_into(root)
    assert (first.incremental, first.changes) == (None, [])
    return root


def test_a_compile_with_nothing_changed_is_incremental_and_writes_nothing(work: Path) -> None:
    again = compile_into(work)
    assert again.incremental == ()
    assert again.changes == []
    assert again.files == len(compile_into(work, incremental=False).outputs)


def test_a_compile_that_changes_nothing_leaves_the_cache_file_as_it_is(work: Path) -> None:
    before = os.stat(work / CACHE)
    for incremental in (True, False):
        assert compile_into(work, incremental=incremental).changes == []
        after = os.stat(work / CACHE)
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_spec_file_saved_again_unchanged_is_not_a_change(work: Path) -> None:
    for path in (work / "spec/tenants/globex.yaml", work / "spec/platform.yaml"):
        path.write_bytes(path.read_bytes())
    assert compile_into(work).incremental == ()


def test_a_file_defining_several_tenants_compiles_them_all_again(work: Path) -> None:
    both = tenant("nova", "starter", "eu-central-1", "eu-shared") + "---\n"
    both += tenant("orbit", "free", "us-east-1", "us-shared", "trialing")
    (work / "spec/tenants/new.yaml").write_text(both)
    assert compile_into(work).incremental == ("nova", "orbit")
    (work / "spec/tenants/new.yaml").write_text(both.replace("Nova", "Nova Ltd"))
    assert compile_into(work).incremental == ("nova", "orbit")
    assert_current(work)


def test_each_kind_of_tenant_change_compiles_that_tenant_alone(work: Path) -> None:
    """Every change of the merge test, one after the other, as edits in one working copy."""
    for change in CHANGES:
        apply(work, change)
        result = compile_into(work)
        assert result.incremental == (change.tenant,), str(change)
        assert result.changes, str(change)
        assert {o.node for o in result.outputs} - {""} <= set(result.graph.nodes())
        whole = compile_into(work, check=True)  # the whole spec, in memory
        assert [c.render() for c in whole.changes] == [], str(change)
        assert (result.files, result.nodes) == (whole.files, whole.nodes), str(change)


distinct = st.lists(st.sampled_from(range(len(CHANGES))), min_size=2, max_size=3, unique=True)


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(chosen=distinct.filter(lambda c: len({CHANGES[i].tenant for i in c}) == len(c)))
def test_changes_to_several_tenants_at_once_give_the_full_compile(
    compiled: Path, tmp_path_factory: pytest.TempPathFactory, chosen: list[int]
) -> None:
    root = tmp_path_factory.mktemp("several") / "work"
    shutil.copytree(compiled, root, symlinks=True)
    assert compile_into(root).incremental is None
    for index in chosen:
        apply(root, CHANGES[index])
    result = compile_into(root)
    assert result.incremental == tuple(sorted(CHANGES[i].tenant for i in chosen))
    assert_current(root)


def test_a_shared_document_changed_compiles_everything(work: Path) -> None:
    plan = work / "spec/plans/starter.yaml"
    text = plan.read_text()
    assert "seats: 20," in text
    plan.write_text(text.replace("seats: 20,", "seats: 21,"))
    result = compile_into(work)
    assert result.incremental is None
    assert result.changes
    assert_current(work)
    assert compile_into(work).incremental == ()


def test_a_shared_document_removed_compiles_everything(work: Path) -> None:
    (work / "spec/plans/free.yaml").unlink()
    with pytest.raises(SpecError, match="free"):
        compile_into(work)


def test_a_hand_edited_file_of_another_tenant_is_repaired(work: Path) -> None:
    edited = work / "generated/acl/globex.json"
    original = edited.read_bytes()
    edited.write_bytes(original.replace(b"globex", b"gl0bex", 1))
    apply(work, CHANGES[0])  # add a tenant
    result = compile_into(work)
    assert result.incremental is None
    assert edited.read_bytes() == original
    assert_current(work)


def test_a_record_file_nobody_compiled_makes_a_full_compile(work: Path) -> None:
    stray = work / "generated/nodes/acl/nobody.json"
    stray.write_bytes((work / "generated/nodes/acl/globex.json").read_bytes())
    assert compile_into(work).incremental is None


@pytest.mark.parametrize(
    "damage",
    [b"", b"{", b"[]", b'{"format": "paybill.dev/compile-cache/v1"}\n{}', b"\n\n"],
)
def test_a_damaged_cache_makes_a_whole_compile_that_writes_a_new_one(
    work: Path, damage: bytes
) -> None:
    (work / CACHE).write_bytes(damage)
    apply(work, CHANGES[0])
    assert compile_into(work).incremental is None
    assert_current(work)
    assert compile_into(work).incremental == ()


def test_nothing_is_read_by_a_name_a_forged_cache_gives(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache edited with its digest made to match again still names no file to read
    outside the output folders."""
    header, index, records = read_cache(work / CACHE)
    index["snapshot"]["shared"].append("tenant:../../../victim")
    write_cache(work / CACHE, header, index, records)
    (work / "victim.json").write_text("{}")
    read: list[str] = []
    original = previous_module._read_record

    def spy(found: previous_module.Previous, relative: str, *args: object) -> None:
        read.append(relative)
        original(found, relative, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(previous_module, "_read_record", spy)
    apply(work, CHANGES[0])
    assert compile_into(work).incremental is None
    assert read
    assert not [r for r in read if ".." in r]


def test_a_cache_for_other_code_is_not_used(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "code_digest", lambda: "other code")
    assert compile_into(work).incremental is None
    monkeypatch.undo()
    assert compile_into(work).incremental is None  # the cache is now the other code's
    assert compile_into(work).incremental == ()


def test_an_error_in_a_changed_tenant_is_reported_as_a_full_compile_reports_it(
    work: Path,
) -> None:
    bad = work / "spec/tenants/globex.yaml"
    bad.write_text(bad.read_text().replace("plan: pro", "plan: platinum"))
    with pytest.raises(SpecError) as incremental:
        compile_into(work)
    with pytest.raises(SpecError) as full:
        compile_into(work, incremental=False)
    assert str(incremental.value) == str(full.value)
    assert "spec/tenants/globex.yaml:9:" in str(full.value)


def test_a_tenant_defined_twice_is_reported(work: Path) -> None:
    shutil.copy(work / "spec/tenants/globex.yaml", work / "spec/tenants/copy.yaml")
    with pytest.raises(SpecError, match="globex"):
        compile_into(work)


def test_a_network_overlapping_an_unchanged_tenant_is_reported(work: Path) -> None:
    acme = next(t for t in validate(work / "spec").tenants if t.name == "acme")
    assert acme.network_cidr == "10.20.0.0/16"
    text = tenant("zenith", "enterprise", "us-east-1", None).replace(
        "  state:", "  network: {cidr: 10.20.128.0/20}\n  state:"
    )
    (work / "spec/tenants/zenith.yaml").write_text(text)
    with pytest.raises(SpecError, match="overlap"):
        compile_into(work)


def test_a_role_name_shared_with_an_unchanged_tenant_is_reported(work: Path) -> None:
    """Tenant `xy` with agent `support-triage` and tenant `xy-support` with agent `triage`
    would both get `agent_xy_support_triage`."""
    agent = work / "spec/agents/support-triage.yaml"
    (work / "spec/agents/triage.yaml").write_text(
        agent.read_text().replace("name: support-triage", "name: triage")
    )
    (work / "spec/tenants/xy.yaml").write_text(tenant("xy", "starter", "us-east-1", "us-shared"))
    assert compile_into(work).incremental is None  # a shared document changed
    (work / "spec/tenants/xy-support.yaml").write_text(
        tenant("xy-support", "starter", "us-east-1", "us-shared")
    )
    with pytest.raises(SpecError, match="agent_xy_support_triage"):
        compile_into(work)


def test_a_write_that_fails_leaves_the_last_cache_and_the_next_compile_is_right(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    before = (work / CACHE).read_bytes()
    apply(work, CHANGES[0])
    with monkeypatch.context() as patched:
        patched.setattr(journal, "commit", fail)
        with pytest.raises(Exception, match="No space left"):
            compile_into(work)
    assert (work / CACHE).read_bytes() == before  # the output is as that cache says
    assert compile_into(work).incremental == (CHANGES[0].tenant,)
    assert_current(work)


def test_the_cache_names_every_output_file_and_the_shared_nodes(work: Path) -> None:
    apply(work, CHANGES[0])
    compile_into(work)
    _, index, _ = read_cache(work / CACHE)
    full = compile_into(work, incremental=False)
    assert sorted(index["files"]) == sorted(o.path for o in full.outputs)
    _, _, records = read_cache(work / CACHE)  # a whole compile keeps every record
    assert sorted(r.split(b"\t")[0].decode() for r in records) == sorted(
        o.path for o in full.outputs if o.path.startswith("nodes/")
    )
    tenants = {n for t in full.spec.tenants for n in full.graph.nodes() if n.endswith(t.name)}
    snapshot = index["snapshot"]
    assert sorted(snapshot["shared"]) == sorted(set(full.graph.nodes()) - tenants)
    assert snapshot["spec"]["tenants/nova.yaml"][-1] == ["nova"]
    assert snapshot["spec"]["platform.yaml"][-1] is None


def test_a_narrowed_compile_leaves_the_cache_a_whole_one_would(
    work: Path, checked: list[str]
) -> None:
    """The files and the snapshot as a whole compile leaves them; the records it wrote are
    read from their files by the next whole compile (the cache's lines are left as they
    were), and by that compile only."""
    apply(work, CHANGES[0])
    assert compile_into(work).incremental == ("nova",)
    _, narrowed, _ = read_cache(work / CACHE)
    checked.clear()  # a narrowed compile reads its records from their files
    full = compile_into(work, incremental=False)
    assert full.changes == []
    _, whole, _ = read_cache(work / CACHE)
    assert narrowed == whole
    nova = sorted(o.path for o in full.outputs if o.path.startswith("nodes/") and "nova" in o.path)
    assert sorted(checked) == nova
    checked.clear()
    assert compile_into(work, incremental=False).changes == []
    assert checked == []


def test_the_cli_says_which_tenants_were_compiled_again(
    work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(work)
    apply(work, CHANGES[0])
    assert main(["compile", "spec", "--out", "generated"]) == 0
    said = capsys.readouterr().out
    assert "only 'nova' compiled again" in said
    assert "50 of 53 nodes reused unchanged" in said  # 12 of them modules
