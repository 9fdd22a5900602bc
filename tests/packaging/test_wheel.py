"""The package as users get it: `python -m build` makes a wheel and an sdist; the wheel,
installed into a fresh virtual environment outside the source tree, runs `init`, `validate`,
`compile`, `plan --no-terraform`, `doctor` and compiles this repository's spec to the same
bytes as the committed generated/.

Slow (a minute or two): building, and installing the dependencies (from the package index,
or from the machine's wheel cache) into a new environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler import __version__
from tests.support.tools import REPO, require_binary

pytestmark = pytest.mark.slow

# What the installed package reads at run time, besides its modules.
DATA = [
    "compiler/emit/sql/templates/file.sql.j2",
    "compiler/emit/sql/templates/statements.sql.j2",
    "compiler/py.typed",
    "compiler/scaffold/files/README.md.j2",
    "compiler/scaffold/files/dot-github/workflows/paybill-apply-wave.yml",
    "compiler/scaffold/files/dot-github/workflows/paybill-apply.yml",
    "compiler/scaffold/files/dot-github/workflows/paybill-drift.yml",
    "compiler/scaffold/files/dot-github/workflows/paybill-plan.yml",
    "compiler/scaffold/files/dot-gitignore",
    "compiler/scaffold/files/requirements.txt.j2",
    "compiler/scaffold/files/spec/platform.yaml.j2",
    "compiler/schemas/acl-v1.schema.json",
    "compiler/schemas/entitlements-v1.schema.json",
    "compiler/schemas/manifest-v2.schema.json",
    "compiler/schemas/node-v1.schema.json",
]


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("source") / "paybill"
    # A clean copy of what git tracks: no virtual environment, caches or build folders.
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        check=True,
    )
    return Built(
        wheel=out / f"paybill-{__version__}-py3-none-any.whl",
        sdist=out / f"paybill-{__version__}.tar.gz",
    )


def test_the_wheel_holds_the_package_data(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
    assert [name for name in DATA if name not in names] == []
    assert "compiler/sandbox/gaps/rds.py" in names
    assert not any(name.startswith("tests/") for name in names)


def test_the_sdist_holds_what_builds_the_same_wheel(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = {name.partition("/")[2] for name in sdist.getnames()}
    assert [name for name in DATA if name not in names] == []
    assert {"pyproject.toml", "README.md"} <= names


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment, outside the source tree, with the wheel installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(built.wheel)],
        capture_output=True,
        check=True,
    )
    return venv / "bin"


def paybill(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join([str(bin_dir), env["PATH"]])
    return subprocess.run(
        [str(bin_dir / "paybill"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_installed_package_is_not_the_source_tree(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(installed / "python"), "-c", "import compiler; print(compiler.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert not Path(done.stdout.strip()).is_relative_to(REPO)


def test_init_validate_compile_and_plan_run_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    require_binary("node", "install Node.js 20 (apt-get install nodejs)")
    require_binary("git", "apt-get install git")
    steps = [
        ("init", "platform"),
        ("validate", "platform/spec"),
        ("compile", "platform/spec", "--out", "platform/generated", "--check"),
    ]
    for step in steps:
        done = paybill(installed, tmp_path, *step)
        assert done.returncode == 0, f"paybill {' '.join(step)}: {done.stderr}"
    repo = tmp_path / "platform"
    git = ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "--quiet", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "Platform"], check=True)
    globex = (repo / "spec" / "tenants" / "globex.yaml").read_text()
    initech = globex.replace("globex", "initech").replace("Globex", "Initech")
    (repo / "spec" / "tenants" / "initech.yaml").write_text(initech)
    assert paybill(installed, repo, "compile", "spec", "--out", "generated").returncode == 0
    done = paybill(installed, repo, "plan", "spec", "--base", "main", "--no-terraform")
    assert done.returncode == 2, done.stderr
    summary = (repo / "plan" / "summary.md").read_text()
    assert summary.startswith("<!-- paybill-plan -->\n")
    assert "initech" in summary
    assert (repo / "plan" / "plan.json").is_file()


def test_the_wheel_compiles_this_repository_to_the_committed_bytes(
    installed: Path, tmp_path: Path
) -> None:
    """Same code, same output: the installed package's digests and files match the source
    tree's, so a repository can check its generated/ with the version it pins."""
    require_binary("node", "install Node.js 20 (apt-get install nodejs)")
    shutil.copytree(REPO / "spec", tmp_path / "spec")
    shutil.copytree(
        REPO / "generated", tmp_path / "generated", ignore=shutil.ignore_patterns(".paybill")
    )
    done = paybill(installed, tmp_path, "compile", "spec", "--out", "generated", "--check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_doctor_runs_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    done = paybill(installed, tmp_path, "doctor", "--for", "validate")
    assert done.returncode == 0, done.stderr
    assert "Ready for: validate." in done.stdout
