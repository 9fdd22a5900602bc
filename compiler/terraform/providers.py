"""Where terraform gets providers: a filesystem mirror holding the pinned versions when the
machine has one (offline machines), otherwise the registry through a shared plugin cache.

A stack's pins are read from its own `terraform.required_providers`, so nothing here names
a provider or a version: the mirror is used when it holds every provider the stack pins.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIRROR_VARIABLE = "PAYBILL_TF_PLUGIN_MIRROR"
CACHE_VARIABLE = "TF_PLUGIN_CACHE_DIR"
DEFAULT_REGISTRY = "registry.terraform.io"
# Where plugin mirrors are usually found: a machine-wide one, then Terraform's implied ones.
MIRROR_CANDIDATES = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)


@dataclass(frozen=True, order=True)
class Provider:
    """A provider pinned to one version: `registry.terraform.io/hashicorp/aws` 5.100.0."""

    source: str
    version: str

    @classmethod
    def parse(cls, source: str, version: str) -> Provider:
        parts = source.split("/")
        full = "/".join([DEFAULT_REGISTRY, *parts]) if len(parts) == 2 else source
        return cls(full, version.strip().removeprefix("=").strip())


def required_providers(folder: Path) -> tuple[Provider, ...]:
    """The exactly pinned providers of the `*.tf.json` files in a stack folder."""
    found: set[Provider] = set()
    for path in sorted(folder.glob("*.tf.json")):
        found |= pins(json.loads(path.read_bytes()))
    return tuple(sorted(found))


def pins(document: Any) -> set[Provider]:
    """The exactly pinned providers of one Terraform JSON document."""
    found: set[Provider] = set()
    terraform = document.get("terraform", {}) if isinstance(document, dict) else {}
    blocks = terraform if isinstance(terraform, list) else [terraform]
    for block in blocks:
        for pin in block.get("required_providers", {}).values():
            if isinstance(pin, dict) and "source" in pin and _exact(pin.get("version")):
                found.add(Provider.parse(pin["source"], pin["version"]))
    return found


def _exact(version: object) -> bool:
    return isinstance(version, str) and not any(c in version for c in "<>~,!")


def target_platform() -> str:
    """Terraform's name for this machine: linux_amd64, darwin_arm64, ..."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def holds(mirror: Path, provider: Provider) -> bool:
    """A mirror in either layout Terraform reads: unpacked folders or release zips."""
    base = mirror / provider.source
    name = provider.source.rsplit("/", 1)[-1]
    unpacked = base / provider.version / target_platform()
    packed = base / f"terraform-provider-{name}_{provider.version}_{target_platform()}.zip"
    return unpacked.is_dir() or packed.is_file()


def find_mirror(
    providers: Sequence[Provider], candidates: Iterable[Path] | None = None
) -> Path | None:
    """The first mirror holding every provider (PAYBILL_TF_PLUGIN_MIRROR alone when set)."""
    if not providers:
        return None
    if candidates is None:
        named = os.environ.get(MIRROR_VARIABLE)
        candidates = [Path(named)] if named else MIRROR_CANDIDATES
    return next((m for m in candidates if all(holds(m, p) for p in providers)), None)


def default_plugin_cache() -> Path:
    """TF_PLUGIN_CACHE_DIR when set, else a cache shared by every workspace of the user."""
    named = os.environ.get(CACHE_VARIABLE)
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paybill" / "terraform-plugins"


def cli_config(providers: Sequence[Provider], mirror: Path | None, plugin_cache: Path) -> str:
    """The text of a CLI configuration: the mirror for its providers, the cache for the rest."""
    if mirror is None:
        return f"plugin_cache_dir = {json.dumps(str(plugin_cache))}\n"
    include = json.dumps(sorted(p.source for p in providers))
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        f"    include = {include}\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = {include}\n"
        "  }\n"
        "}\n"
    )
