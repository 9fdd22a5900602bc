"""`paybill init DIR`: a new repository whose spec is valid, whose generated/ is current,
with editor schemas, workflows, README.md, .gitignore and requirements.txt; refusals for
people; --force and --update."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from compiler import __version__
from compiler.cli import main
from compiler.dsl.jsonschema import document_schemas, render
from compiler.pipeline import validate
from tests.scaffold.conftest import NAME

WORKFLOWS = [
    ".github/workflows/paybill-apply-wave.yml",
    ".github/workflows/paybill-apply.yml",
    ".github/workflows/paybill-billing.yml",
    ".github/workflows/paybill-drift.yml",
    ".github/workflows/paybill-plan.yml",
]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_repository_has_every_part(scaffolded: Path) -> None:
    files = set(tree(scaffolded))
    top = {path.split("/")[0] for path in files}
    assert top == {
        ".github",
        ".gitignore",
        "README.md",
        "generated",
        "requirements.txt",
        "schemas",
        "spec",
    }
    assert sorted(p for p in files if p.startswith(".github/")) == WORKFLOWS
    assert "generated/manifest.json" in files
    assert not any("/.paybill/" in p or p.startswith("generated/.paybill") for p in files)


def test_the_spec_is_valid_and_generated_is_current(
    scaffolded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, generated = str(scaffolded / "spec"), str(scaffolded / "generated")
    assert run(capsys, "validate", spec)[0] == 0
    code, out, _ = run(capsys, "compile", spec, "--out", generated, "--check")
    count = sum(1 for path in tree(scaffolded) if path.startswith("generated/"))
    assert (code, out) == (0, f"{generated} is current ({count} files)\n")


def test_the_spec_has_what_the_contract_lists(scaffolded: Path) -> None:
    spec = validate(scaffolded / "spec")
    assert len(spec.pools) == 1
    assert sorted(str(p.isolation) for p in spec.plans) == ["bridge", "pooled", "silo"]
    assert [t.name for t in spec.tenants] == ["acme", "globex"]
    assert len(spec.tables) == 1
    assert [a.name for a in spec.agents] == ["collections"]
    assert [w.name for w in spec.workflows] == ["invoice-reminders"]
    assert list(spec.agents[0].workflows) == ["invoice-reminders"]
    platform = (scaffolded / "spec" / "platform.yaml").read_text()
    backend = yaml.safe_load(platform)["spec"]["stateBackend"]
    assert backend == {
        "type": "s3",
        "bucket": f"{NAME}-paybill-state",
        "region": "eu-central-1",
        "lockTable": f"{NAME}-paybill-locks",
        "keyPrefix": "paybill",
    }
    assert "  # stateBackend: {type: local}\n" in platform


def test_every_spec_file_names_its_schema_for_the_editor(scaffolded: Path) -> None:
    files = sorted((scaffolded / "spec").rglob("*.yaml"))
    assert len(files) == 8
    for path in files:
        documents = path.read_text().split("\n---\n")
        for document in documents:
            found = re.findall(r"^# yaml-language-server: \$schema=(\S+)$", document, re.M)
            assert len(found) == 1, path
            assert (path.parent / found[0]).resolve() == scaffolded / "schemas" / (
                "document.schema.json"
            )


def test_the_schemas_are_the_installed_version(scaffolded: Path) -> None:
    shipped = {p.name: p.read_bytes() for p in (scaffolded / "schemas").iterdir()}
    assert shipped == {name: render(schema) for name, schema in document_schemas().items()}


def test_gitignore_readme_and_requirements(scaffolded: Path) -> None:
    ignored = (scaffolded / ".gitignore").read_text().splitlines()
    assert {".paybill/", "plan/", "drift/", "sandbox/"} <= set(ignored)
    requirements = (scaffolded / "requirements.txt").read_text().splitlines()
    assert [line for line in requirements if not line.startswith("#")] == [
        f"paybill=={__version__}"
    ]
    readme = (scaffolded / "README.md").read_text()
    assert readme.startswith(f"# {NAME}: the platform, as code\n")
    for needed in (f"{NAME}-paybill-state", "PAYBILL_APPLY_ROLE_ARN", "paybill init --update ."):
        assert needed in readme
    protection = readme.split("**Branch protection**", 1)[1].split("\n## ", 1)[0]
    for needed in ("`validate, check and\n   plan` check", "merge queue", "up to date"):
        assert needed in protection, needed


def test_the_readme_shows_how_to_try_it_in_the_sandbox(scaffolded: Path) -> None:
    readme = (scaffolded / "README.md").read_text()
    section = readme.split("## Trying it on one machine: the sandbox\n", 1)[1].split("\n## ")[0]
    for step in (
        "pip install 'paybill[sandbox]'",
        "paybill sandbox up sandbox && . sandbox/sandbox.env",
        "paybill apply spec",
        "paybill plan spec --base HEAD",
        "paybill drift spec",
        "paybill sandbox down sandbox",
    ):
        assert step in section, step
    # The one edit it asks for is there to make: the local backend, commented in the spec.
    assert "`stateBackend: {type: local}`" in section
    platform = (scaffolded / "spec" / "platform.yaml").read_text()
    assert "\n  # stateBackend: {type: local}\n" in platform
    assert "\n  stateBackend:\n    type: s3\n" in platform
    # What the sandbox writes stays out of git.
    assert "sandbox/" in (scaffolded / ".gitignore").read_text().splitlines()


def test_output_is_the_same_every_time(scaffolded: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert main(["init", str(again), "--name", NAME]) == 0
    assert tree(again) == tree(scaffolded)


def test_options_reach_the_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "x"
    code, out, _ = run(
        capsys,
        "init",
        str(target),
        "--name",
        "initrode",
        "--region",
        "us-east-1",
        "--state-bucket",
        "initrode-tf",
        "--lock-table",
        "initrode-locks",
    )
    assert code == 0
    count = len(tree(target))
    assert out.startswith(
        f"created {target}: {count} files ({count} added, 0 replaced, 0 unchanged)\n"
    )
    platform = yaml.safe_load((target / "spec" / "platform.yaml").read_text())
    assert platform["metadata"]["name"] == "initrode"
    assert platform["spec"]["regions"] == ["us-east-1"]
    assert platform["spec"]["stateBackend"]["bucket"] == "initrode-tf"
    assert platform["spec"]["stateBackend"]["lockTable"] == "initrode-locks"
    tenant = yaml.safe_load((target / "spec" / "tenants" / "acme.yaml").read_text())
    assert tenant["spec"]["region"] == "us-east-1"


def test_a_folder_holding_only_git_counts_as_empty(tmp_path: Path) -> None:
    target = tmp_path / "fresh-clone"
    (target / ".git").mkdir(parents=True)
    assert main(["init", str(target)]) == 0
    assert (target / "spec" / "platform.yaml").is_file()


def test_a_folder_that_is_not_empty_is_refused(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(repository)
    code, out, err = run(capsys, "init", str(repository))
    assert (code, out) == (2, "")
    assert err == (
        f"paybill: {repository} is not empty (.github, .gitignore, README.md, generated, "
        "requirements.txt, …); paybill init writes a new repository into an empty folder "
        "(one holding only .git is fine). Choose another folder, or add --force to write into "
        "this one: files of the same name are replaced, generated/ as a whole, everything "
        "else is left alone\n"
    )
    assert tree(repository) == before


def test_force_replaces_what_it_writes_and_leaves_the_rest(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repository / "notes.txt").write_text("ours\n")
    (repository / "README.md").write_text("changed\n")
    (repository / "generated" / "stray.json").write_text("{}\n")
    code, out, _ = run(capsys, "init", str(repository), "--force")
    assert code == 0
    count = len(tree(repository)) - 1  # notes.txt is not paybill's
    assert out.startswith(
        f"created {repository}: {count} files "
        f"(0 added, 1 replaced, {count - 1} unchanged, 1 removed)\n"
        "  replaced README.md\n"
        "  removed generated/stray.json\n"
    )
    assert (repository / "notes.txt").read_text() == "ours\n"
    assert (repository / "README.md").read_text().startswith(f"# {NAME}:")
    assert not (repository / "generated" / "stray.json").exists()


def test_update_rewrites_the_managed_files_only(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = repository / ".github" / "workflows" / "paybill-plan.yml"
    original = workflow.read_bytes()
    workflow.write_text("name: edited\n")
    (repository / "schemas" / "tenant.schema.json").unlink()
    tenant = repository / "spec" / "tenants" / "acme.yaml"
    tenant.write_text(tenant.read_text().replace("Acme Corp", "Acme Corporation"))
    code, out, _ = run(capsys, "init", str(repository), "--update")
    assert code == 0
    assert out == (
        f"updated {repository}: 14 files (1 added, 1 replaced, 12 unchanged)\n"
        "  replaced .github/workflows/paybill-plan.yml\n"
    )
    assert workflow.read_bytes() == original
    assert (repository / "schemas" / "tenant.schema.json").is_file()
    assert "Acme Corporation" in tenant.read_text()


def test_update_needs_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "init", str(tmp_path), "--update")
    assert code == 2
    assert err == (
        f"paybill: {tmp_path} has no spec/ folder: --update refreshes a repository made by "
        f"paybill init; to make one, run: paybill init {tmp_path}\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["9 Lives"],
            "the folder name '9 Lives' is not a valid platform name: give one with --name "
            "(2-40 of a-z, 0-9 and '-', starting with a letter)",
        ),
        (
            ["ok", "--name", "9lives"],
            "--name '9lives': a platform name is 2-40 of a-z, 0-9 and '-', starting with a "
            "letter and not ending with '-'",
        ),
        (
            ["ok", "--region", "europe"],
            "--region 'europe' is not an AWS region name (e.g. eu-central-1)",
        ),
        (
            ["ok", "--state-bucket", "Bad_Bucket"],
            "--state-bucket 'Bad_Bucket' is not a valid S3 bucket name",
        ),
    ],
)
def test_bad_settings_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "init", str(tmp_path / argv[0]), *argv[1:])
    assert (code, err) == (2, f"paybill: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_the_name_comes_from_the_folder(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "Globex Platform")]) == 0
    platform = yaml.safe_load((tmp_path / "Globex Platform" / "spec" / "platform.yaml").read_text())
    assert platform["metadata"]["name"] == "globex-platform"


@pytest.mark.slow
def test_without_node_nothing_is_written(tmp_path: Path) -> None:
    """Compiling needs node: init fails with exit 3 and how to fix it, and writes nothing."""
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "git").symlink_to("/usr/bin/git")
    env = {**os.environ, "PATH": str(bare)}
    done = subprocess.run(
        [sys.executable, "-m", "compiler", "init", str(tmp_path / "new")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "'node' is not installed" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]
