"""Working copies of stack folders, where terraform runs and where local state persists.

Terraform never runs inside `generated/`: each stack is copied into `ROOT/stacks/<stack>/`
and run there. Stacks sit side by side exactly as in `generated/stacks/`, so a tenant stack's
`terraform_remote_state` at `../pool-<pool>/terraform.tfstate` finds its pool's state, and
its module call at `../../modules/<module>` finds the module the checkout put in
`ROOT/modules/` (`compiler.terraform.modules`). A later checkout replaces the configuration
files and keeps everything terraform made: state, `.terraform/`, the lock file and saved
plans. So plan, apply and drift runs that share a ROOT share state, and a ROOT is the whole
local "cloud account" of a sandbox.

    ROOT/stacks/<stack>/cdk.tf.json                 copied from the stack folder
    ROOT/stacks/<stack>/paybill_override.tf.json    the override file, when one is given
    ROOT/stacks/<stack>/terraform.tfstate           local backend state (kept)
    ROOT/stacks/<stack>/.paybill-terraform.rc       the CLI configuration of this copy
    ROOT/stacks/<stack>/.terraform.lock.hcl         the stack's, or its module's
    ROOT/modules/<module>/cdk.tf.json               the modules the stacks call

Every command gets a CLI configuration written here (the environment's TF_CLI_CONFIG_FILE is
never read: it may point to a missing file) and an environment without the variables that
would change where terraform looks (TF_CLI_ARGS*, TF_DATA_DIR, TF_WORKSPACE).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.terraform import modules
from compiler.terraform.providers import (
    cli_config,
    default_plugin_cache,
    find_mirror,
    required_providers,
)

OVERRIDE_NAME = "paybill_override.tf.json"
CLI_CONFIG_NAME = ".paybill-terraform.rc"
PLAN_NAME = "paybill.tfplan"
# Files terraform reads as configuration: replaced by each checkout, stale ones removed.
CONFIGURATION = ("*.tf", "*.tf.json", "*.tfvars", "*.tfvars.json")
_DROPPED = {"TF_CLI_CONFIG_FILE", "TF_DATA_DIR", "TF_WORKSPACE", "TF_PLUGIN_CACHE_DIR"}
_FIXED = {"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}


@dataclass(frozen=True)
class WorkingCopy:
    """One stack's folder under a workspace; `env` is what every command runs with.

    `plugin_cache` is the shared cache this copy installs providers into (None when a
    filesystem mirror provides them)."""

    stack: str
    path: Path
    env: Mapping[str, str] = field(repr=False)  # the caller's environment: may hold secrets
    plugin_cache: Path | None = None

    @property
    def plan_file(self) -> Path:
        """Where a plan is saved unless the caller names another file."""
        return self.path / PLAN_NAME

    @property
    def state_file(self) -> Path:
        return self.path / "terraform.tfstate"


@dataclass(frozen=True)
class Workspace:
    """A folder of working copies; `plugin_cache` serves machines without a mirror."""

    root: Path
    plugin_cache: Path | None = None

    def checkout(
        self,
        stack: str,
        source: Path,
        override: Path | None = None,
        *,
        private_modules: bool = False,
    ) -> WorkingCopy:
        """Copy a stack folder's configuration in (keeping state) with the modules it calls
        (found at `source/../../modules/`, as in `generated/`; `private_modules`: for this
        copy only, see `compiler.terraform.modules`); add the override file. Initialise
        terraform again after a checkout whose modules moved between shared and private."""
        if not (source / "cdk.tf.json").is_file() and not any(source.glob("*.tf*")):
            raise FileNotFoundError(f"no terraform configuration in {source}")
        path = self.root.resolve() / "stacks" / stack
        if path.resolve().is_relative_to(source.resolve().parent):
            raise ValueError(f"the working copy {path} must be outside {source.parent}")
        path.mkdir(parents=True, exist_ok=True)
        incoming = {p.name for p in source.iterdir() if p.is_file()}
        for pattern in CONFIGURATION:
            for stale in path.glob(pattern):
                if stale.name not in incoming and stale.name != OVERRIDE_NAME:
                    stale.unlink()
        shutil.copytree(source, path, dirs_exist_ok=True)
        modules.place(self.root.resolve(), path, source, private=private_modules)
        target = path / OVERRIDE_NAME
        if override is not None:
            shutil.copyfile(override, target)
        else:
            target.unlink(missing_ok=True)
        return self._copy(stack, path)

    def copy(self, stack: str) -> WorkingCopy:
        """An existing working copy (after `checkout`), e.g. to apply or read outputs later."""
        path = self.root.resolve() / "stacks" / stack
        if not path.is_dir():
            raise FileNotFoundError(f"no working copy of {stack} under {self.root}")
        return self._copy(stack, path)

    def stacks(self) -> list[str]:
        """The stacks that have a working copy, sorted."""
        folder = self.root / "stacks"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def _copy(self, stack: str, path: Path) -> WorkingCopy:
        providers = required_providers(path)
        mirror = find_mirror(providers)
        cache = self.plugin_cache or default_plugin_cache()
        if mirror is None:
            cache.mkdir(parents=True, exist_ok=True)
        config = path / CLI_CONFIG_NAME
        text = cli_config(providers, mirror, cache)
        if not config.is_file() or config.read_text() != text:
            config.write_text(text)
        return WorkingCopy(stack, path, terraform_env(config), None if mirror else cache)


def terraform_env(config: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a command: ours, with our CLI configuration and no overrides."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if k not in _DROPPED and not k.startswith("TF_CLI_ARGS")}
    env.update(_FIXED)
    env["TF_CLI_CONFIG_FILE"] = str(config)
    return env
