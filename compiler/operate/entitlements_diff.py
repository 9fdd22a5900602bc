"""What a change does to tenants' entitlements, told the way a reviewer thinks of it.

Read from the entitlements files of the changed ACL nodes (`acl/entitlements/<tenant>.json`,
base and head), never from the spec. A value that changed for a tenant that stayed on its
plan, and that its overrides do not decide, changed because the plan did: all such changes
of one plan are one *plan edit* ("pro: seats 200 -> 250"), said once with the tenants it
reaches. Everything else (an override changed, a tenant moved to another plan) is a change
of that tenant's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from compiler.operate.changeset import ChangeSet
from compiler.operate.sources import Source

Document = Mapping[str, Any]


@dataclass
class PlanEdit:
    """One value of a shared plan that changed, and the tenants it reaches."""

    plan: str
    what: str  # "seats", "feature sso", "resources.database.storageGb"
    before: str
    after: str
    tenants: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "plan": self.plan,
            "what": self.what,
            "from": self.before,
            "to": self.after,
            "tenants": self.tenants,
        }


@dataclass
class TenantEntitlements:
    """A tenant's own entitlement changes, and why: its overrides, or another plan."""

    tenant: str
    why: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # what, before, after

    @property
    def lines(self) -> list[str]:
        """One line: `(override) seats 200 → 400`; features said as granted or not."""
        granted = [
            w[8:] for w, _, new in self.changes if w.startswith("feature ") and new == _had(True)
        ]
        taken = [
            w[8:] for w, _, new in self.changes if w.startswith("feature ") and new == _had(False)
        ]
        parts = [
            f"{w} {old} → {new}" for w, old, new in self.changes if not w.startswith("feature ")
        ]
        if granted:
            parts.append(f"features {', '.join(granted)} granted")
        if taken:
            parts.append(f"features {', '.join(taken)} no longer granted")
        return [f"({self.why}) {'; '.join(parts)}"]


def entitlement_changes(
    changes: ChangeSet,
) -> tuple[list[PlanEdit], dict[str, TenantEntitlements]]:
    """The plan edits (sorted by plan, then what) and each tenant's own changes."""
    edits: dict[tuple[str, str, str, str], PlanEdit] = {}
    own: dict[str, TenantEntitlements] = {}
    for change in changes.of_kind("acl"):
        tenant = change.node.partition(":")[2]
        before = _document(changes.base, tenant)
        after = _document(changes.head, tenant)
        if before is None or after is None:
            continue  # a tenant added or removed: the tenants section says so
        same_plan = before["plan"] == after["plan"]
        for what, old, new, overridden in _differences(before, after):
            if same_plan and not overridden:
                key = (after["plan"], what, old, new)
                edits.setdefault(key, PlanEdit(*key)).tenants.append(tenant)
                continue
            why = "its overrides" if same_plan else f"plan {before['plan']} → {after['plan']}"
            own.setdefault(tenant, TenantEntitlements(tenant, why)).changes.append((what, old, new))
    ordered = [edits[k] for k in sorted(edits)]
    for edit in ordered:
        edit.tenants.sort()
    return ordered, dict(sorted(own.items()))


def _document(source: Source, tenant: str) -> Document | None:
    content = source.read(f"acl/entitlements/{tenant}.json")
    if content is None:
        return None
    data = orjson.loads(content)
    return data if isinstance(data, dict) else None


def _differences(before: Document, after: Document) -> Iterator[tuple[str, str, str, bool]]:
    """(what, before, after, whether the tenant's overrides decide it) for each change."""
    chosen = {
        *before["fromOverrides"]["limits"],
        *after["fromOverrides"]["limits"],
        *before["fromOverrides"]["features"],
        *after["fromOverrides"]["features"],
    }
    old_limits, new_limits = before["limits"], after["limits"]
    for name in sorted(old_limits.keys() | new_limits.keys()):
        old, new = old_limits.get(name), new_limits.get(name)
        if old != new:
            yield name, _limit(old), _limit(new), name in chosen
    old_features, new_features = set(before["features"]), set(after["features"])
    for name in sorted(old_features ^ new_features):
        added = name in new_features
        yield f"feature {name}", _had(not added), _had(added), name in chosen
    old_sizes, new_sizes = _flat(before["resources"]), _flat(after["resources"])
    for name in sorted(old_sizes.keys() | new_sizes.keys()):
        old, new = old_sizes.get(name, "none"), new_sizes.get(name, "none")
        if old != new:
            yield f"resources.{name}", old, new, False  # sizes come from the plan alone


def _limit(value: object) -> str:
    if value is None:
        return "unlimited"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _had(present: bool) -> str:
    return "granted" if present else "not granted"


def _flat(resources: Mapping[str, Mapping[str, object]]) -> dict[str, str]:
    """`{"database": {"storageGb": 100}}` -> `{"database.storageGb": "100"}`."""
    out = {}
    for part, values in resources.items():
        for key, value in values.items():
            shown = ("yes" if value else "no") if isinstance(value, bool) else _limit(value)
            out[f"{part}.{key}"] = shown
    return out
