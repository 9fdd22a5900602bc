"""`paybill doctor`: each tool found or missing (with what to do), what each command needs,
exit 3 only when a tool the checked commands need is missing. Tools are hidden or faked
with a PATH of stand-in programs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.doctor import probes
from compiler.doctor.needs import DEFAULT, NEEDS, readiness
from compiler.doctor.probes import Finding
from compiler.terraform.providers import Provider
from tests.support.tools import require_binary


def fake(folder: Path, name: str, output: str, code: int = 0) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\necho '{output}'\nexit {code}\n")
    script.chmod(0o755)


def doctor(path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "PAYBILL_TERRAFORM"}
    environment.update(PATH=str(path), **env)
    return subprocess.run(
        [sys.executable, "-m", "compiler", "doctor", *args],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def test_missing_node_and_terraform_is_exit_3_with_what_to_do(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    fake(bare, "git", "git version 2.39.5")
    done = doctor(bare)
    assert done.returncode == 3, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert "  MISSING  node" in lines
    assert "  MISSING  terraform" in lines
    assert "  ok       git 2.39.5                     " + str(bare / "git") in lines
    assert (
        "NOT ready for: compile (missing node, cdktn); plan (missing terraform); "
        "apply (missing terraform); drift (missing terraform)."
    ) in lines
    assert (
        "  - node: install Node.js 20 or later (e.g. apt-get install nodejs, or nodejs.org)"
    ) in lines
    assert "Traceback" not in done.stdout


def test_a_command_that_needs_nothing_more_is_ready(tmp_path: Path) -> None:
    done = doctor(tmp_path, "--for", "validate")
    assert done.returncode == 0, done.stdout
    assert "Ready for: validate." in done.stdout.splitlines()


def test_old_versions_are_too_old(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake(bin_dir, "node", "v18.19.0")
    fake(bin_dir, "terraform", "Terraform v1.4.7\non linux_amd64")
    done = doctor(bin_dir, "--format", "json")
    assert done.returncode == 3
    tools = json.loads(done.stdout)["tools"]
    assert (tools["node"]["ok"], tools["node"]["version"], tools["node"]["detail"]) == (
        False,
        "18.19.0",
        "too old",
    )
    assert (tools["terraform"]["ok"], tools["terraform"]["version"]) == (False, "1.4.7")
    assert tools["cdktn"]["detail"] == "needs node"


def test_a_named_terraform_that_is_not_there(tmp_path: Path) -> None:
    done = doctor(tmp_path, "--for", "plan", PAYBILL_TERRAFORM="/nowhere/terraform")
    assert done.returncode == 3
    assert (
        "  MISSING  terraform                      PAYBILL_TERRAFORM=/nowhere/terraform: not found"
        in done.stdout
    )


def test_json_lists_the_tools_the_needs_and_the_verdict(tmp_path: Path) -> None:
    fake(tmp_path / "bin", "git", "git version 2.45.1")
    done = doctor(tmp_path / "bin", "--for", "sql", "--format", "json")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert sorted(data["tools"]) == [
        "billing",
        "cdktn",
        "git",
        "moto",
        "node",
        "postgres",
        "provider",
        "provider-azure",
        "provider-gcp",
        "provider-ibm",
        "provider-oci",
        "python",
        "terraform",
    ]
    assert data["needs"]["compile"] == ["node", "cdktn"]
    assert data["needs"]["billing"] == ["billing", "git", "node", "cdktn"]
    assert data["checked"] == {"sql": {"ready": True, "missing": []}}
    assert data["ready"] is True


def test_the_provider_without_mirror_or_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYBILL_TF_PLUGIN_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(tmp_path / "cache"))
    found = probes.provider(lambda url, timeout: "Name or service not known")
    assert found == Finding(
        "AWS provider",
        False,
        "5.100.0",
        detail="no plugin mirror holds it and the registry cannot be reached "
        "(Name or service not known)",
        fix="give the machine network access, or put the provider in a plugin mirror and set "
        "PAYBILL_TF_PLUGIN_MIRROR to it (terraform providers mirror DIR)",
    )
    reached = probes.provider(lambda url, timeout: None)
    assert (reached.ok, reached.where) == (True, "registry.terraform.io")


def test_the_provider_from_a_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    platform = probes.Provider.parse("hashicorp/aws", "5.100.0")
    (mirror / platform.source / "5.100.0" / probes_platform()).mkdir(parents=True)
    monkeypatch.setenv("PAYBILL_TF_PLUGIN_MIRROR", str(mirror))
    found = probes.provider(lambda url, timeout: pytest.fail("no request when a mirror has it"))
    assert (found.ok, found.where, found.detail) == (True, str(mirror), "plugin mirror")


def probes_platform() -> str:
    from compiler.terraform.providers import target_platform  # noqa: PLC0415

    return target_platform()


def test_every_command_of_the_cli_is_in_the_table() -> None:
    from compiler.cli import build_parser  # noqa: PLC0415

    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert commands - {"doctor"} == set(NEEDS)
    assert set(DEFAULT) <= set(NEEDS)


def test_readiness_names_what_is_missing() -> None:
    findings = {key: Finding(key, key != "terraform") for key in ("git", "terraform", "provider")}
    (plan,) = readiness(findings, ("plan",))
    assert (plan.ready, plan.missing) == (False, ("terraform",))


def test_on_this_machine_the_versions_are_the_tools_own() -> None:
    node = require_binary("node", "install Node.js 20 (apt-get install nodejs)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    found = probes.node()
    assert found.ok
    assert f"v{found.version}" == version.stdout.strip()


def test_billing_names_the_extra_when_its_packages_are_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from compiler.doctor import probes  # noqa: PLC0415

    real = probes.importlib.util.find_spec
    monkeypatch.setattr(
        probes.importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("stripe", "ruamel.yaml") else real(name, *a),
    )
    found = probes.billing()
    assert (found.ok, found.detail) == (False, "missing: stripe, ruamel.yaml")
    assert "paybill[billing]" in found.fix


def test_each_other_clouds_provider_is_reported_and_needed_by_no_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plan does without them (their stacks are schema-checked only), so a missing one is
    said, with what it means, and makes no command unready."""
    mirror = tmp_path / "mirror"
    azurerm = Provider.parse("hashicorp/azurerm", "5.10.0")
    (mirror / azurerm.source / "5.10.0" / probes_platform()).mkdir(parents=True)
    monkeypatch.setenv("PAYBILL_TF_PLUGIN_MIRROR", str(mirror))
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(tmp_path / "cache"))
    offline = probes.cloud_provider("gcp", lambda: "Name or service not known")
    assert offline == Finding(
        "Google Cloud provider",
        False,
        "8.7.0",
        detail="not installed: plan lists gcp stacks as schema-checked only (exit 3)",
        fix="put hashicorp/google 8.7.0 in a plugin mirror (terraform providers mirror DIR) "
        "and set PAYBILL_TF_PLUGIN_MIRROR to it, or give the machine network access",
    )
    mirrored = probes.cloud_provider("azure", lambda: pytest.fail("a mirror has it"))
    assert (mirrored.ok, mirrored.where, mirrored.detail) == (True, str(mirror), "plugin mirror")
    online = probes.cloud_provider("ibm", lambda: None)
    assert (online.ok, online.tool, online.detail) == (
        True,
        "IBM Cloud provider",
        "downloaded when needed",
    )
    assert not any(key.startswith("provider-") for tools in NEEDS.values() for key in tools)
