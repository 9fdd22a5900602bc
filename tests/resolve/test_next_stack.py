"""The stack name compile suggests for a tenant's next home: numbered, and always one the
spec accepts, however long the tenant's name."""

from __future__ import annotations

import re

import pytest

from compiler.homes import STACK_NAME_PATTERN
from compiler.resolve.migrations import next_stack

LONG = "x" * 40


@pytest.mark.parametrize(
    ("tenant", "stack", "expected"),
    [
        ("alpha", "tenant-alpha", "tenant-alpha-2"),
        ("alpha", "tenant-alpha-2", "tenant-alpha-3"),
        ("acme-7", "tenant-acme-7", "tenant-acme-7-2"),
        ("alpha", "tenant-alpha-eu", "tenant-alpha-2"),
        (LONG, f"tenant-{LONG}", f"tenant-{'x' * 38}-2"),
        (LONG, f"tenant-{'x' * 38}-9", f"tenant-{'x' * 37}-10"),
        (
            "a-" * 19 + "bc",
            f"tenant-{'a-' * 19}bc",
            f"tenant-{('a-' * 19)[:37]}-2".replace("--", "-"),
        ),
    ],
)
def test_the_next_stack_name_is_new_and_valid(tenant: str, stack: str, expected: str) -> None:
    found = next_stack(tenant, stack)
    assert found == expected
    assert found != stack
    assert re.match(STACK_NAME_PATTERN, found)
