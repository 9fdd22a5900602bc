"""`terraform show -json PLANFILE`, read into a typed `Plan` (see `changes`).

`show` loads the provider (seconds of CPU). A plan is shown once when it is made (`plan`),
and its JSON kept beside the plan file (`<plan>.show.json`, with the SHA-256 of the plan
file's bytes); a later `show` of the same file (applying a reviewed plan) reads that JSON
instead of running terraform again. Only for the exact bytes it was made from: a plan file
replaced, changed or re-made by another plan has another digest, and is shown anew. A plan
that changes nothing is never shown (`unchanged`: there is nothing to list), and what is
kept beside it says so. The JSON holds what the plan file holds (both may carry sensitive
values), and is written readable by its owner only.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from compiler.terraform import step
from compiler.terraform.changes import Plan, UnknownPlanFormat, read_plan
from compiler.terraform.errors import TerraformError
from compiler.terraform.executor import Executor
from compiler.terraform.workspace import WorkingCopy

KEPT_SUFFIX = ".show.json"
_KEPT_VERSION = 1
UNCHANGED = object()  # kept for a plan that changes nothing: there is no JSON to keep


def show(
    executor: Executor,
    copy: WorkingCopy,
    file: Path,
    *,
    changed: bool | None = None,
    refresh_only: bool = False,
    keep: bool = False,
    timeout: float | None = None,
) -> Plan:
    """The saved plan in `file`; `changed` as `plan` reported it (else read from the plan).
    `keep`: save terraform's JSON beside the plan for later shows of the same file."""
    digest = _digest(file)
    document = _kept(file, digest)
    if document is UNCHANGED:
        return Plan(copy.stack, file, changed=False)
    if document is not None:
        try:
            return read_plan(copy.stack, file, changed, document, refresh_only)
        except (ValueError, KeyError, TypeError):
            pass  # not readable as kept: ask terraform, as if nothing were kept
    # Terraform runs in the working copy: a relative path would be read from there.
    done = step.run(executor, copy, "show", ["-json", str(file.resolve())], timeout=timeout)
    try:
        document = json.loads(done.stdout)
        plan = read_plan(copy.stack, file, changed, document, refresh_only)
    except (ValueError, KeyError, TypeError) as unreadable:
        detail = f"unreadable plan {file}: {unreadable}"
        if isinstance(unreadable, UnknownPlanFormat):
            detail = f"{file}: {unreadable}; this terraform is newer than Paybill knows"
        raise TerraformError(copy.stack, "show", 0, detail) from unreadable
    if keep and digest is not None:
        _keep(file, digest, document)
    return plan


def unchanged(copy: WorkingCopy, file: Path) -> Plan:
    """The plan in `file`, which terraform said changes nothing (`plan -detailed-exitcode`
    exited 0): empty, and remembered as such for a later `show` of the same bytes."""
    digest = _digest(file)
    if digest is not None:
        _keep(file, digest, None)
    return Plan(copy.stack, file, changed=False)


def kept_file(file: Path) -> Path:
    """Where the JSON of the plan in `file` is kept."""
    return file.with_name(file.name + KEPT_SUFFIX)


def _digest(file: Path) -> str | None:
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError:
        return None


def _kept(file: Path, digest: str | None) -> Any:
    """The kept JSON of exactly these plan bytes, or None."""
    if digest is None:
        return None
    try:
        kept = json.loads(kept_file(file).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("version") != _KEPT_VERSION:
        return None
    if kept.get("planSha256") != digest:
        return None
    return UNCHANGED if kept.get("unchanged") is True else kept.get("show")


def _keep(file: Path, digest: str, document: Any) -> None:
    """Written to a scratch file and renamed: a reader sees the whole JSON or none. No
    document: the plan changes nothing (see `unchanged`)."""
    target = kept_file(file)
    scratch = target.with_name(f".{target.name}.{os.getpid()}")
    body: dict[str, Any] = {"version": _KEPT_VERSION, "planSha256": digest}
    if document is None:
        body["unchanged"] = True
    else:
        body["show"] = document
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(body, out)
    os.replace(scratch, target)
