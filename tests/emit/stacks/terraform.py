"""Running terraform offline: a CLI configuration of our own and the AWS provider from a local
mirror when the machine has one.

The environment's own `TF_CLI_CONFIG_FILE` is never trusted (it may point to a missing file):
every run gets a configuration written here. With a filesystem mirror holding the pinned
provider, `terraform init` links the provider from there and needs no network; without one,
it downloads normally into a plugin cache under `.build/`, shared by every run.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

from compiler.emit.stacks.provider import AWS_PROVIDER_VERSION
from tests.support.tools import REPO, require_binary

PROVIDER = "registry.terraform.io/hashicorp/aws"
MIRROR_VARIABLE = "PAYBILL_TF_PLUGIN_MIRROR"
# Where plugin mirrors are usually found: the machine's own, then Terraform's implied ones.
MIRROR_CANDIDATES = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)
PLUGIN_CACHE = REPO / ".build" / "terraform-plugin-cache"
HOW_TO_GET = (
    "install terraform 1.5 or later (https://developer.hashicorp.com/terraform/install); "
    f"offline, put hashicorp/aws {AWS_PROVIDER_VERSION} in a plugin mirror and name it in "
    f"{MIRROR_VARIABLE}"
)


def _target() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def holds_provider(mirror: Path) -> bool:
    """A mirror in either layout Terraform reads: unpacked folders or release zips."""
    base = mirror / PROVIDER
    unpacked = base / AWS_PROVIDER_VERSION / _target()
    packed = base / f"terraform-provider-aws_{AWS_PROVIDER_VERSION}_{_target()}.zip"
    return unpacked.is_dir() or packed.is_file()


def find_mirror() -> Path | None:
    named = os.environ.get(MIRROR_VARIABLE)
    candidates = [Path(named)] if named else list(MIRROR_CANDIDATES)
    return next((m for m in candidates if holds_provider(m)), None)


def cli_config(folder: Path) -> Path:
    """Write a CLI configuration into `folder` and return its path."""
    mirror = find_mirror()
    if mirror is not None:
        text = (
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
            f'    include = ["{PROVIDER}"]\n  }}\n'
            f'  direct {{\n    exclude = ["{PROVIDER}"]\n  }}\n'
            "}\n"
        )
    else:
        PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
        text = f'plugin_cache_dir = "{PLUGIN_CACHE}"\n'
    path = folder / "terraform.rc"
    path.write_text(text)
    return path


def terraform_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TF_CLI_CONFIG_FILE": str(cli_config(folder)),
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
        }
    )
    return env


def terraform() -> str:
    """The terraform binary (skips the test locally, fails it in CI, when missing)."""
    return require_binary("terraform", HOW_TO_GET)


def run(
    binary: str, args: Sequence[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run terraform; a failure raises with everything terraform said."""
    done = subprocess.run(
        [binary, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(
            f"terraform {' '.join(args)} failed in {cwd} ({done.returncode}):\n"
            f"{done.stdout}\n{done.stderr}"
        )
    return done
