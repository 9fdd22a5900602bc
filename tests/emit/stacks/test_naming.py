"""AWS names: readable when they fit, cut with a hash when they do not, valid either way."""

from __future__ import annotations

import hashlib
import re

from hypothesis import given
from hypothesis import strategies as st

from compiler.dsl.common import NAME_PATTERN
from compiler.emit.stacks.naming import fit, rds_identifier

names = st.from_regex(NAME_PATTERN, fullmatch=True)


def short_hash(name: str) -> str:
    """The documented suffix: 8 hex digits of the SHA-256 of the full name."""
    return hashlib.sha256(name.encode()).hexdigest()[:8]


RDS = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")


def test_a_name_that_fits_is_kept() -> None:
    assert fit("ledgerline-tenant-acme", 64) == "ledgerline-tenant-acme"


def test_a_long_name_keeps_its_start_and_ends_in_a_hash() -> None:
    name = "a-platform-with-a-long-name-tenant-" + "x" * 40
    cut = fit(name, 64)
    assert len(cut) == 64
    assert cut == f"a-platform-with-a-long-name-tenant-xxxxxxxxxxxxxxxxxxxx-{short_hash(name)}"


def test_the_cut_never_ends_the_readable_part_in_a_hyphen() -> None:
    name = "abc-" + "d" * 60
    assert fit(name, 12) == f"abc-{short_hash(name)}"


@given(names, names)
def test_cut_names_stay_within_limits_and_distinct(platform: str, tenant: str) -> None:
    full = f"{platform}-tenant-{tenant}"
    assert len(fit(full, 64)) <= 64
    assert fit(full, 64) != fit(full + "x", 64)


@given(names, names)
def test_rds_identifiers_are_valid(platform: str, tenant: str) -> None:
    identifier = rds_identifier(platform, f"tenant-{tenant}")
    assert RDS.match(identifier), identifier


def test_rds_identifier_with_double_hyphens_is_made_valid_and_distinct() -> None:
    assert (
        rds_identifier("acme", "tenant-a--b") == f"acme-tenant-a-b-{short_hash('acme-tenant-a--b')}"
    )
    assert rds_identifier("acme", "tenant-a-b") == "acme-tenant-a-b"
