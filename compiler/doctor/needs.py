"""Which commands need which outside tool, and what a machine lacks for them.

Python and the packages paybill installs with are always there (it runs). Beyond that:

    compile, init        node (20+), which runs CDK for Terraform's cdktn
    plan, apply, drift   terraform (1.5+) and the AWS provider the stacks pin (from a plugin
                         mirror, the plugin cache or the registry), git for `--base REV`
    sandbox              moto's server and the PostgreSQL server binaries, and terraform
    billing              the `paybill[billing]` extra, git, and what compile needs (sync and
                         reconcile compile the edited spec)
    the rest             nothing (`sql` needs a reachable database, which is not a tool)

`plan --no-terraform` needs git only. `paybill doctor` checks what CI needs (compile, plan,
apply, drift); `--for COMMAND` checks one command.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from compiler.doctor import probes
from compiler.doctor.probes import Finding
from compiler.terraform.installed import REGISTRY_SECONDS, REGISTRY_URL
from compiler.terraform.installed import reach as installed_reach

NEEDS: dict[str, tuple[str, ...]] = {
    "validate": (),
    "describe": (),
    "schema": (),
    "graph": (),
    "acl": (),
    "sql": (),
    "compile": ("node", "cdktn"),
    "init": ("node", "cdktn"),
    "plan": ("git", "terraform", "provider"),
    "apply": ("git", "terraform", "provider"),
    "drift": ("terraform", "provider"),
    "sandbox": ("moto", "postgres", "terraform"),
    "billing": ("billing", "git", "node", "cdktn"),
}
# What `paybill doctor` checks without --for: what a repository's CI runs.
DEFAULT = ("compile", "plan", "apply", "drift")
# Each other cloud's provider: reported, needed by no command (see probes.cloud_provider).
CLOUD_PROVIDERS = tuple(f"provider-{cloud}" for cloud in probes.OTHER_CLOUDS)
ORDER = (
    "python",
    "git",
    "node",
    "cdktn",
    "terraform",
    "provider",
    *CLOUD_PROVIDERS,
    "postgres",
    "moto",
    "billing",
)


def probe_all(reach: probes.Reach = installed_reach) -> dict[str, Finding]:
    """Every tool, in ORDER (cdktn after node: it needs it)."""
    found: dict[str, Finding] = {}
    simple: dict[str, Callable[[], Finding]] = {
        "python": probes.python,
        "git": probes.git,
        "node": probes.node,
        "terraform": probes.terraform,
        "postgres": probes.postgres,
        "moto": probes.moto,
        "billing": probes.billing,
    }
    registry = functools.cache(lambda: reach(REGISTRY_URL, REGISTRY_SECONDS))
    for key in ORDER:
        if key == "cdktn":
            found[key] = probes.cdktn(found["node"])
        elif key == "provider":
            found[key] = probes.provider(lambda url, timeout: registry())
        elif key in CLOUD_PROVIDERS:
            found[key] = probes.cloud_provider(key.removeprefix("provider-"), registry)
        else:
            found[key] = simple[key]()
    return found


@dataclass(frozen=True)
class Readiness:
    command: str
    missing: tuple[str, ...]  # tool keys

    @property
    def ready(self) -> bool:
        return not self.missing


def readiness(findings: Mapping[str, Finding], commands: tuple[str, ...]) -> list[Readiness]:
    return [
        Readiness(command, tuple(t for t in NEEDS[command] if not findings[t].ok))
        for command in commands
    ]
