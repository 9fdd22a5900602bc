"""Running terraform in tests: the binary, environment and CLI configuration of
`compiler.terraform` (its own CLI config, the provider from a local mirror when the machine
has one, else a plugin cache under `.build/`), for roots that are not stack working copies.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from compiler.emit.stacks.provider import AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION
from compiler.terraform import Provider, Subprocess, TerraformMissing, find_terraform
from compiler.terraform import find_mirror as find_mirror_of
from compiler.terraform.errors import HOW_TO_INSTALL
from compiler.terraform.providers import MIRROR_VARIABLE, cli_config, target_platform
from compiler.terraform.workspace import terraform_env as environment
from tests.support.tools import REPO, missing

AWS = Provider.parse(AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION)
PROVIDER = AWS.source
PLUGIN_CACHE = REPO / ".build" / "terraform-plugin-cache"
_target = target_platform  # Terraform's name for this machine (linux_amd64, ...)
HOW_TO_GET = (
    f"{HOW_TO_INSTALL}; offline, put {AWS_PROVIDER_SOURCE} {AWS_PROVIDER_VERSION} in a "
    f"plugin mirror and name it in {MIRROR_VARIABLE}"
)


def find_mirror() -> Path | None:
    return find_mirror_of([AWS])


def terraform_env(folder: Path) -> dict[str, str]:
    """The runner's environment, with a CLI configuration written into `folder`."""
    config = folder / "terraform.rc"
    mirror = find_mirror()
    if mirror is None:
        PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
    config.write_text(cli_config([AWS], mirror, PLUGIN_CACHE))
    return environment(config)


def terraform() -> str:
    """The terraform binary (skips the test locally, fails it in CI, when missing)."""
    try:
        return find_terraform()
    except TerraformMissing:
        missing("'terraform'", HOW_TO_GET)
        raise


def run(
    binary: str, args: Sequence[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run terraform; a failure raises with everything terraform said."""
    done = Subprocess(binary).run(args, cwd, env, None)
    if done.exit_code != 0:
        raise AssertionError(
            f"terraform {' '.join(args)} failed in {cwd} ({done.exit_code}):\n"
            f"{done.stdout}\n{done.stderr}"
        )
    return subprocess.CompletedProcess([binary, *args], done.exit_code, done.stdout, done.stderr)
