"""Scanning stacks with checkov, offline, against a reviewed baseline of accepted findings.

checkov 3.3 cannot parse a `cdk.tf.json` whose `terraform` block has `required_version` (its
JSON-to-HCL step expects a block where that key holds a string): it reports a parsing error
and runs no check at all. So each stack is scanned as a copy without that key, which changes
nothing that a check looks at, and a scan is only trusted when it parsed every file and ran
checks.

checkov runs from its own virtual environment (`make tools` puts it in `.build/checkov`): it
pins networkx below 2.7, and the compiler needs networkx 3. It is told not to reach any
network: no download of policy metadata (`--skip-download`), no version check
(`CKV_SKIP_PACKAGE_UPDATE_CHECK`), no platform key, and its proxy points at a closed port on
this machine, so anything it still tried would fail at once instead of leaving the machine.

What is scanned: each shape's module as written (`modules/<shape>/cdk.tf.json`), once, and
each stack as one configuration (its module's resources with the stack's values put in,
`tests.emit.stacks.effective`). Checks that read a value (a database's `multi_az`, say) see
only a reference to a module input in the module, and see the value in the stack; the rest
see the same resource in both. Findings are by resource address within the module, which is
the address in the stack as one configuration too, so one baseline covers both.

The baseline (`checkov-baseline.yaml`) lists, per check id, why it is accepted and the
resource addresses it is accepted for; a finding outside it fails, and so does an entry that
no longer matches any finding, so the file stays exactly what was reviewed.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.tools import REPO, missing

CHECKOV_VERSION = "3.3.30"
BASELINE = Path(__file__).with_name("checkov-baseline.yaml")
VENV_BINARY = REPO / ".build" / "checkov" / "bin" / "checkov"
BINARY_VARIABLE = "PAYBILL_CHECKOV"
STACK_FILE = "cdk.tf.json"
HOW_TO_GET = (
    f"run `make tools` (installs checkov {CHECKOV_VERSION} into .build/checkov), or name a "
    f"checkov {CHECKOV_VERSION} binary in {BINARY_VARIABLE}"
)
CLOSED_PORT = "http://127.0.0.1:9"  # the discard port; nothing listens there


Finding = tuple[str, str]  # (check id, resource address)


@dataclass(frozen=True)
class Accepted:
    check_id: str
    reason: str
    resources: tuple[str, ...]


@dataclass
class Report:
    passed: int
    failed: int
    parsing_errors: int
    files: set[str]  # stack files the results name, relative to the scanned folder
    findings: dict[Finding, set[str]] = field(default_factory=dict)  # -> files
    names: dict[str, str] = field(default_factory=dict)  # check id -> its title


def find_checkov() -> str | None:
    named = os.environ.get(BINARY_VARIABLE)
    if named:
        return named
    if VENV_BINARY.exists():
        return str(VENV_BINARY)
    return shutil.which("checkov")


def checkov() -> str:
    """The checkov binary (skips the test locally, fails it in CI, when missing)."""
    binary = find_checkov()
    if binary is None:
        missing(f"checkov {CHECKOV_VERSION}", HOW_TO_GET)
    assert binary is not None
    return binary


def scannable(document: Mapping[str, Any]) -> dict[str, Any]:
    """The stack as checkov can parse it: without `terraform.required_version`."""
    out = copy.deepcopy(dict(document))
    out.get("terraform", {}).pop("required_version", None)
    return out


def write_copies(root: Path, stacks: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """Write each stack (relative folder -> cdk.tf.json bytes) under `root`, scannable;
    returns the parsed stacks by the file path checkov will report."""
    out = {}
    for folder, content in stacks.items():
        document = json.loads(content)
        target = root / folder / STACK_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(scannable(document), indent=2))
        out[f"/{folder}/{STACK_FILE}"] = document
    return out


def generated_copies(
    root: Path, artifacts: Mapping[str, bytes], prefix: str = ""
) -> dict[str, dict[str, Any]]:
    """`write_copies` of a compiled output (relative path -> bytes, as in `generated/`): each
    module as written under `<prefix>modules/<shape>/`, each stack as one configuration
    under `<prefix>stacks/<stack>/`."""
    from tests.emit.stacks.effective import effective  # noqa: PLC0415

    parsed = {
        path: json.loads(content)
        for path, content in artifacts.items()
        if path.endswith(f"/{STACK_FILE}")
    }
    modules = {p.split("/")[1]: doc for p, doc in parsed.items() if p.startswith("modules/")}
    stacks = {
        p.split("/")[1]: effective(doc, modules)
        for p, doc in parsed.items()
        if p.startswith("stacks/")
    }
    files = {f"{prefix}modules/{shape}": modules[shape] for shape in modules}
    files.update({f"{prefix}stacks/{stack}": stacks[stack] for stack in stacks})
    return write_copies(root, {k: json.dumps(v).encode() for k, v in files.items()})


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_"))}
    env.update(
        {
            "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
            "HTTP_PROXY": CLOSED_PORT,
            "HTTPS_PROXY": CLOSED_PORT,
            "http_proxy": CLOSED_PORT,
            "https_proxy": CLOSED_PORT,
            "NO_PROXY": "",
            "no_proxy": "",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def run_checkov(binary: str, root: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            binary,
            "--directory",
            str(root),
            "--framework",
            "terraform_json",
            "--skip-download",
            "--output",
            "json",
            "--compact",  # no code blocks; passed checks are kept, to see every file checked
        ],
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    # 0: nothing failed, 1: some checks failed; anything else is checkov itself failing.
    if done.returncode not in (0, 1):
        raise AssertionError(f"checkov failed ({done.returncode}):\n{done.stderr[-4000:]}")
    data = json.loads(done.stdout)
    if isinstance(data, list):  # one report per framework; only one was asked for
        (data,) = data
    report: dict[str, Any] = data
    return report


def scan(binary: str, root: Path, stacks: Mapping[str, dict[str, Any]]) -> Report:
    """Scan the copies under `root`; `stacks` is what `write_copies` returned."""
    data = run_checkov(binary, root)
    summary = data["summary"]
    results = data.get("results", {})
    report = Report(
        passed=summary["passed"],
        failed=summary["failed"],
        parsing_errors=summary["parsing_errors"],
        files=set(),
    )
    for outcome in ("passed_checks", "failed_checks"):
        for result in results.get(outcome, []):
            report.files.add(result["file_path"])
    for result in results.get("failed_checks", []):
        path = result["file_path"]
        finding = (result["check_id"], address(stacks[path], result["resource"]))
        report.findings.setdefault(finding, set()).add(path)
        report.names[result["check_id"]] = result["check_name"]
    return report


def address(stack: Mapping[str, Any], resource: str) -> str:
    """The Terraform address of what checkov names `resource`: its graph checks say
    `aws_s3_bucket.bucket`, its other checks `resource.bucket` or `data.key_policy`."""
    kind, _, name = resource.partition(".")
    if kind in ("resource", "data"):
        types = [t for t, items in stack.get(kind, {}).items() if name in items]
        if len(types) != 1:
            raise AssertionError(f"cannot tell the type of {resource}: {types}")
        return f"{types[0]}.{name}" if kind == "resource" else f"data.{types[0]}.{name}"
    return resource


def load_baseline(path: Path = BASELINE) -> dict[str, Accepted]:
    data = yaml.safe_load(path.read_text())
    return {
        check_id: Accepted(check_id, entry["reason"], tuple(entry["resources"]))
        for check_id, entry in data.items()
    }


def accepted(baseline: Mapping[str, Accepted]) -> set[Finding]:
    return {(a.check_id, resource) for a in baseline.values() for resource in a.resources}


def compare(report: Report, baseline: Mapping[str, Accepted]) -> tuple[list[str], list[str]]:
    """(findings nobody accepted, accepted findings that no longer occur), as lines."""
    found = set(report.findings)
    allowed = accepted(baseline)
    unexpected = [
        f"{check} {resource} ({report.names.get(check, '')}) in "
        f"{', '.join(sorted(report.findings[(check, resource)])[:3])}"
        for check, resource in sorted(found - allowed)
    ]
    stale = [f"{check} {resource}" for check, resource in sorted(allowed - found)]
    return unexpected, stale
