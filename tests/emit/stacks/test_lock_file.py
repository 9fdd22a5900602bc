"""`.terraform.lock.hcl` in every shape's module folder: the pinned provider with checksums
for every platform, accepted by `terraform init` offline (compiler.emit.stacks.provider).
Terraform reads the lock file of the root module's folder only: the working copy of a stack
takes its module's (`compiler.operate.stacks.checkout`)."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from compiler.emit.stacks.provider import AWS_PROVIDER_VERSION, HASHES, LOCK_FILE, lock_file
from compiler.terraform.providers import target_platform
from tests.emit.stacks.compiled import family_artifacts
from tests.emit.stacks.conftest import SPEC_SETS
from tests.emit.stacks.terraform import (
    PROVIDER,
    find_mirror,
    run,
    terraform,
    terraform_env,
)
from tests.support.tools import missing

PLATFORMS = 14  # every platform HashiCorp builds hashicorp/aws 5.100.0 for


def package_hash(folder: Path) -> str:
    """Terraform's `h1:` checksum of an unpacked provider package (Go's dirhash Hash1)."""
    lines = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n"
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    )
    return "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


def test_every_module_has_the_lock_file_and_no_stack_has_one() -> None:
    artifacts = family_artifacts(SPEC_SETS["spec"])
    folders: dict[str, dict[str, bytes]] = {}
    for artifact in artifacts:
        folder, _, file = artifact.path.rpartition("/")
        folders.setdefault(folder, {})[file] = artifact.content
        kind, name = folder.split("/")
        assert artifact.node == {"stacks": "stack:", "modules": "module:"}[kind] + name
    assert {f.split("/")[0] for f in folders} == {"modules", "stacks"}
    for folder, files in folders.items():
        if folder.startswith("stacks/"):
            assert sorted(files) == ["cdk.tf.json"]
        else:
            assert sorted(files) == [LOCK_FILE, "cdk.tf.json", "stack-template.json"]
            assert files[LOCK_FILE] == lock_file()


def test_the_lock_file_covers_every_platform() -> None:
    text = lock_file().decode()
    assert f'  version     = "{AWS_PROVIDER_VERSION}"\n' in text
    assert f'  constraints = "{AWS_PROVIDER_VERSION}"\n' in text
    h1 = [h for h in HASHES if h.startswith("h1:")]
    zh = [h for h in HASHES if h.startswith("zh:")]
    # One package hash per platform, and the archive checksum of each platform plus the
    # registry manifest, as SHA256SUMS lists them.
    assert (len(h1), len(zh), len(set(HASHES))) == (PLATFORMS, PLATFORMS + 1, len(HASHES))
    assert all(len(base64.b64decode(h[3:])) == 32 for h in h1)
    assert all(len(bytes.fromhex(h[3:])) == 32 for h in zh)
    assert text.endswith("  ]\n}\n")
    assert "\r" not in text


def test_the_local_provider_package_is_in_the_lock_file() -> None:
    mirror = find_mirror()
    if mirror is None:
        missing(f"a plugin mirror with hashicorp/aws {AWS_PROVIDER_VERSION}", "see terraform.py")
    assert mirror is not None
    package = mirror / PROVIDER / AWS_PROVIDER_VERSION / target_platform()
    if not package.is_dir():
        pytest.skip(f"the mirror holds {package.name} packed; terraform checks its zh: sum")
    assert package_hash(package) in HASHES


@pytest.mark.terraform
def test_terraform_init_accepts_the_lock_file_offline(tmp_path: Path) -> None:
    """In a copy of a stack's folder with its module's lock file, as a working copy has
    them: init installs the provider against the generated lock file and leaves it exactly
    as it was."""
    binary = terraform()
    written = {a.path: a.content for a in family_artifacts(SPEC_SETS["spec"])}
    root = written["stacks/tenant-wayne/cdk.tf.json"]
    shape = json.loads(root)["module"]["tenant"]["source"].rsplit("/", 1)[1]
    for path, content in written.items():
        if path.startswith(f"modules/{shape}/") or path.startswith("stacks/tenant-wayne/"):
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_bytes(content)
    folder = tmp_path / "stacks" / "tenant-wayne"
    (folder / LOCK_FILE).write_bytes(written[f"modules/{shape}/{LOCK_FILE}"])
    env = terraform_env(tmp_path)
    try:
        run(
            binary,
            ["init", "-backend=false", "-input=false", "-no-color", "-lockfile=readonly"],
            folder,
            env,
        )
    except AssertionError as failed:
        if find_mirror() is not None:
            raise
        missing(
            "the AWS provider 5.100.0 (no plugin mirror, and downloading it failed)", str(failed)
        )
    assert (folder / LOCK_FILE).read_bytes() == lock_file()
    installed = folder / ".terraform" / "providers" / PROVIDER / AWS_PROVIDER_VERSION
    assert next(installed.iterdir()).is_dir()
    shutil.rmtree(folder / ".terraform")
