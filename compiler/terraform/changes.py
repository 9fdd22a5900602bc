"""A saved plan, typed: what terraform will do to each resource of a stack.

Read from `terraform show -json PLANFILE` (format 1.x). `resources` holds the managed
resources terraform would change. `drift` holds what terraform reports as changed outside
terraform, by terraform's own rule: in a normal plan, only changes to attributes the plan
depends on (`relevant_attributes`; a drifted resource that the plan itself corrects shows as
its planned change instead), in a refresh-only plan every change. The rest of the plan's
`resource_drift` is noise such as a role's `inline_policy` managed by a separate resource.

A resource type is data-bearing when deleting or replacing it loses data: the
destructive-change guard asks about exactly these.

`moved` holds the resources that only move to another address (a `moved` block, e.g. a stack
of the layout before modules moving into its module): terraform changes nothing of them, but
the plan has changes (its state is written again) until it is applied.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

# Deleting or replacing one of these loses data (or, for a key, makes it unreadable).
DATA_BEARING_TYPES = frozenset(
    {
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_s3_bucket",
        "aws_kms_key",
        "aws_dynamodb_table",
        "aws_efs_file_system",
        "aws_ebs_volume",
        "aws_elasticache_replication_group",
        "aws_secretsmanager_secret",
    }
)


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    FORGET = "forget"  # removed from state, left in the cloud (`removed` blocks)


_ACTIONS: Mapping[tuple[str, ...], Action | None] = {
    ("no-op",): None,
    ("read",): None,
    ("create",): Action.CREATE,
    ("update",): Action.UPDATE,
    ("delete",): Action.DELETE,
    ("delete", "create"): Action.REPLACE,
    ("create", "delete"): Action.REPLACE,
    ("forget",): Action.FORGET,
}


class UnknownPlanFormat(ValueError):
    """`show -json` said something this reader does not know: never guess."""


@dataclass(frozen=True)
class ResourceChange:
    """One resource and what the plan does to it."""

    address: str
    type: str
    action: Action
    reason: str = ""  # terraform's action_reason, e.g. replace_because_cannot_update
    replace_paths: tuple[str, ...] = ()  # the attributes that force a replacement

    @property
    def data_bearing(self) -> bool:
        return self.type in DATA_BEARING_TYPES

    @property
    def destructive(self) -> bool:
        """Deletes or replaces a data-bearing resource."""
        return self.data_bearing and self.action in (Action.DELETE, Action.REPLACE)


@dataclass(frozen=True)
class Plan:
    """A stack's saved plan: `changed` is terraform's `-detailed-exitcode` 2."""

    stack: str
    file: Path
    changed: bool
    resources: tuple[ResourceChange, ...] = ()
    drift: tuple[ResourceChange, ...] = ()
    outputs: tuple[str, ...] = ()  # names of outputs whose value changes
    counts: Mapping[Action, int] = field(default_factory=dict)
    moved: tuple[tuple[str, str], ...] = ()  # (from, to) of resources that only move

    @property
    def destructive(self) -> tuple[ResourceChange, ...]:
        return tuple(r for r in self.resources if r.destructive)


def read_plan(
    stack: str,
    file: Path,
    changed: bool | None,
    document: Mapping[str, Any],
    refresh_only: bool = False,
) -> Plan:
    """The typed plan of a `show -json` document. `changed` is the plan's exit code when it
    was just made; for a plan read back later, terraform's own `applyable` says it."""
    version = str(document.get("format_version", ""))
    if not version.startswith("1."):
        raise UnknownPlanFormat(f"plan format {version or '(none)'} (expected 1.x)")
    resources = _changes(document.get("resource_changes", []))
    drift = document.get("resource_drift", [])
    if not refresh_only:
        drift = _relevant(drift, document.get("relevant_attributes") or [])
    if changed is None:
        changed = bool(document.get("applyable", False))
    return Plan(
        stack=stack,
        file=file,
        changed=changed,
        resources=resources,
        drift=_changes(drift),
        outputs=tuple(
            sorted(
                name
                for name, change in document.get("output_changes", {}).items()
                if _action(change.get("actions", [])) is not None
            )
        ),
        counts=dict(Counter(r.action for r in resources)),
        moved=_moves(document.get("resource_changes", [])),
    )


def _moves(entries: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """(previous address, address) of the managed resources that move and change nothing."""
    return tuple(
        sorted(
            (str(entry["previous_address"]), str(entry["address"]))
            for entry in entries
            if entry.get("mode") == "managed"
            and entry.get("previous_address")
            and _action(entry.get("change", {}).get("actions", [])) is None
        )
    )


def _changes(entries: Sequence[Mapping[str, Any]]) -> tuple[ResourceChange, ...]:
    found = []
    for entry in entries:
        if entry.get("mode") != "managed":
            continue
        change = entry.get("change", {})
        action = _action(change.get("actions", []))
        if action is None:
            continue
        found.append(
            ResourceChange(
                address=str(entry["address"]),
                type=str(entry["type"]),
                action=action,
                reason=str(entry.get("action_reason", "")),
                replace_paths=tuple(_path(p) for p in change.get("replace_paths", [])),
            )
        )
    return tuple(sorted(found, key=lambda r: r.address))


def _relevant(
    drift: Sequence[Mapping[str, Any]], relevant: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The drift entries that changed an attribute the plan depends on."""
    paths: dict[str, list[Sequence[object]]] = {}
    for entry in relevant:
        paths.setdefault(str(entry["resource"]), []).append(entry.get("attribute", []))
    kept = []
    for entry in drift:
        change = entry.get("change", {})
        before, after = change.get("before"), change.get("after")
        if any(_at(before, p) != _at(after, p) for p in paths.get(entry["address"], [])):
            kept.append(entry)
    return kept


def _at(value: object, path: Sequence[object]) -> object:
    """The value at an attribute path (`["tags", "plan"]`, `["ingress", 0]`), or None."""
    for step in path:
        if isinstance(value, Mapping) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def _action(actions: Sequence[str]) -> Action | None:
    key = tuple(actions)
    if key not in _ACTIONS:
        raise UnknownPlanFormat(f"unknown resource actions {list(actions)}")
    return _ACTIONS[key]


def _path(steps: Sequence[object]) -> str:
    """`["tags", "plan"]` -> `tags.plan`; list positions as `[0]`."""
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
