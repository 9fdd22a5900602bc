"""Five-field cron schedules: the pattern in the DSL checks the shape, this checks ranges."""

from __future__ import annotations

import re

from compiler.errors import quote

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_NAMES = {
    "month": ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    "day of week": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
}
_NUMBER = re.compile(r"^[0-9]+$")


def cron_problem(schedule: str) -> str:
    """An explanation of what is wrong with `schedule`, or an empty string if it is fine."""
    if schedule.startswith("@"):
        return ""
    parts = schedule.split(" ")
    for text, (label, low, high) in zip(parts, _FIELDS, strict=True):
        for item in text.split(","):
            problem = _item_problem(item, label, low, high)
            if problem:
                return f"schedule '{schedule}': {problem}"
    return ""


def _item_problem(item: str, label: str, low: int, high: int) -> str:
    base, _, step = item.partition("/")
    if step and (not _NUMBER.match(step) or int(step) == 0):
        return f"step '/{step}' in the {label} field must be a positive number"
    if base == "*":
        return ""
    bounds = base.split("-")
    if len(bounds) > 2 or "" in bounds:
        return f"{quote(item)} is not a valid {label}"
    for bound in bounds:
        if _NUMBER.match(bound):
            if not low <= int(bound) <= high:
                return f"{label} {bound} is outside {low}-{high}"
        elif bound.lower() not in _NAMES.get(label, ()):
            return f"{quote(bound)} is not a valid {label}"
    return ""
