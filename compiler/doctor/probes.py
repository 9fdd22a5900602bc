"""One probe per outside tool. Each returns a `Finding`: found or not, the version, where
it is, and what to do when it is missing or too old.

Probes run commands with a short time limit and read their first line of output; a tool
that hangs or fails to run counts as missing, with what it printed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from compiler.emit.stacks.provider import AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION
from compiler.sandbox.postgres import find_bin_dir
from compiler.terraform.executor import BINARY_VARIABLE
from compiler.terraform.installed import REGISTRY_SECONDS, REGISTRY_URL, local_source, reach
from compiler.terraform.providers import MIRROR_VARIABLE, Provider

MIN_NODE = (20, 0)
MIN_TERRAFORM = (1, 5)
COMMAND_SECONDS = 20.0
CDKTN_SECONDS = 90.0
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Finding:
    """What a probe found. `ok` means present and usable; `fix` says what to do otherwise."""

    tool: str
    ok: bool
    version: str = ""
    where: str = ""
    detail: str = ""
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "tool": self.tool,
            "ok": self.ok,
            "version": self.version,
            "where": self.where,
            "detail": self.detail,
            "fix": self.fix,
        }


def _run(args: list[str], timeout: float = COMMAND_SECONDS) -> tuple[int, str]:
    """Exit code and output (stdout, else stderr) of a command; 127 when it cannot run."""
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        return 127, ""
    except (subprocess.TimeoutExpired, OSError) as failed:
        return 126, str(failed)
    return done.returncode, (done.stdout.strip() or done.stderr.strip())


def _version(text: str) -> tuple[int, ...] | None:
    match = _VERSION.search(text)
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def _shown(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def python() -> Finding:
    found = sys.version_info
    return Finding("python", True, f"{found.major}.{found.minor}.{found.micro}", sys.executable)


def git() -> Finding:
    path = shutil.which("git")
    fix = "install git (e.g. apt-get install git)"
    if path is None:
        return Finding("git", False, fix=fix)
    code, out = _run([path, "--version"])
    version = _version(out)
    if code != 0 or version is None:
        return Finding("git", False, where=path, detail=out, fix=fix)
    return Finding("git", True, _shown(version), path)


def node() -> Finding:
    path = shutil.which("node")
    fix = f"install Node.js {MIN_NODE[0]} or later (e.g. apt-get install nodejs, or nodejs.org)"
    if path is None:
        return Finding("node", False, fix=fix)
    code, out = _run([path, "--version"])
    version = _version(out)
    if code != 0 or version is None:
        return Finding("node", False, where=path, detail=out, fix=fix)
    if version[:2] < MIN_NODE:
        return Finding("node", False, _shown(version), path, "too old", fix)
    return Finding("node", True, _shown(version), path)


def cdktn(node_found: Finding) -> Finding:
    """Whether CDK for Terraform's JavaScript runtime starts (it needs node)."""
    try:
        version = importlib.metadata.version("cdktn")
    except importlib.metadata.PackageNotFoundError:
        return Finding("cdktn", False, fix="reinstall paybill: pip install paybill")
    if not node_found.ok:
        return Finding("cdktn", False, version, detail="needs node", fix=node_found.fix)
    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    try:
        done = subprocess.run(
            [sys.executable, "-c", "import cdktn; cdktn.App()"],
            capture_output=True,
            text=True,
            timeout=CDKTN_SECONDS,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Finding("cdktn", False, version, detail="did not start in time", fix=node_found.fix)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        return Finding(
            "cdktn", False, version, detail=f"does not start: {last}", fix=node_found.fix
        )
    return Finding("cdktn", True, version, detail="starts")


def terraform() -> Finding:
    named = os.environ.get(BINARY_VARIABLE)
    path = shutil.which(named or "terraform")
    fix = (
        f"install Terraform {_shown(MIN_TERRAFORM)} or later (developer.hashicorp.com/terraform"
        f"/install); or set {BINARY_VARIABLE} to its path"
    )
    if path is None:
        detail = f"{BINARY_VARIABLE}={named}: not found" if named else ""
        return Finding("terraform", False, detail=detail, fix=fix)
    code, out = _run([path, "version"])
    version = _version(out.splitlines()[0] if out else "")
    if code != 0 or version is None:
        return Finding("terraform", False, where=path, detail=out[:200], fix=fix)
    if version[:2] < MIN_TERRAFORM:
        return Finding("terraform", False, _shown(version), path, "too old", fix)
    return Finding("terraform", True, _shown(version), path)


Reach = Callable[[str, float], str | None]
# The clouds whose providers plan can do without (their stacks are then schema-checked only).
OTHER_CLOUDS = {"azure": "Azure", "gcp": "Google Cloud", "oci": "Oracle Cloud", "ibm": "IBM Cloud"}


def provider(reach_registry: Reach = reach) -> Finding:
    """The AWS provider the stacks pin: in a plugin mirror, in the plugin cache, or from
    the registry (then the machine needs the network when it first plans)."""
    return _provider(
        "AWS provider",
        Provider.parse(AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION),
        lambda: reach_registry(REGISTRY_URL, REGISTRY_SECONDS),
        missing="no plugin mirror holds it and the registry cannot be reached ({why})",
        fix=f"give the machine network access, or put the provider in a plugin mirror and set "
        f"{MIRROR_VARIABLE} to it (terraform providers mirror DIR)",
    )


def cloud_provider(cloud: str, unreachable: Callable[[], str | None]) -> Finding:
    """The provider of another cloud, at the version of its committed schema (the one its
    stacks are validated against). Without it, plan runs no terraform for that cloud's
    stacks: it lists them as schema-checked only and exits 3."""
    from compiler.providers.schemas import load  # noqa: PLC0415  (a schema file to read)

    schema = load(cloud)
    return _provider(
        f"{OTHER_CLOUDS[cloud]} provider",
        Provider.parse(schema.source, schema.version),
        unreachable,
        missing=f"not installed: plan lists {cloud} stacks as schema-checked only (exit 3)",
        fix=f"put {schema.label} in a plugin mirror (terraform providers mirror DIR) and set "
        f"{MIRROR_VARIABLE} to it, or give the machine network access",
    )


def _provider(
    tool: str, pinned: Provider, unreachable: Callable[[], str | None], *, missing: str, fix: str
) -> Finding:
    """Found in a mirror or the cache, or downloadable; else `missing` ({why}: why the
    registry did not answer) and `fix`."""
    local = local_source(pinned)
    if local is not None:
        return Finding(tool, True, pinned.version, local.where, local.kind)
    why = unreachable()
    if why is None:
        return Finding(
            tool, True, pinned.version, "registry.terraform.io", "downloaded when needed"
        )
    return Finding(tool, False, pinned.version, detail=missing.format(why=why), fix=fix)


def postgres() -> Finding:
    folder = find_bin_dir()
    fix = "install the PostgreSQL server (e.g. apt-get install postgresql); or set PAYBILL_PG_BIN"
    if folder is None:
        return Finding("PostgreSQL server", False, fix=fix)
    code, out = _run([str(folder / "postgres"), "--version"])
    version = _version(out)
    if code != 0 or version is None:
        return Finding("PostgreSQL server", False, where=str(folder), detail=out, fix=fix)
    return Finding("PostgreSQL server", True, _shown(version), str(folder))


def moto() -> Finding:
    fix = "pip install 'paybill[sandbox]' (moto's server, the local AWS emulator)"
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        return Finding("moto", False, fix=fix)
    return Finding("moto", True, importlib.metadata.version("moto"))


# The `paybill[billing]` extra: what `paybill billing` imports when it runs.
BILLING_MODULES = ("stripe", "orb", "httpx", "jwt", "starlette", "uvicorn", "ruamel.yaml")


def billing() -> Finding:
    fix = "pip install 'paybill[billing]' (the webhook receiver and the providers' SDKs)"
    missing = [m for m in BILLING_MODULES if _missing(m)]
    if missing:
        return Finding("billing", False, detail=f"missing: {', '.join(missing)}", fix=fix)
    return Finding("billing", True, detail="paybill[billing]")


def _missing(module: str) -> bool:
    """Whether `module` (dotted: its parent first) cannot be imported."""
    parent = module.partition(".")[0]
    if importlib.util.find_spec(parent) is None:
        return True
    return module != parent and importlib.util.find_spec(module) is None
