"""Database role names: `app_<tenant>`, `agent_<tenant>_<agent>`, '-' as '_', at most 63 bytes."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from compiler.resolve.roles import MAX_IDENTIFIER_BYTES, agent_role, app_role

NAMES = st.from_regex(r"\A[a-z][a-z0-9-]{0,38}[a-z0-9]\Z")


def test_short_names_read_as_written() -> None:
    assert app_role("acme-corp") == "app_acme_corp"
    assert agent_role("acme-corp", "night-owl") == "agent_acme_corp_night_owl"


def test_long_names_are_cut_with_a_hash() -> None:
    tenant = "a-tenant-name-of-exactly-forty-chars-xyz"
    agent = "an-agent-name-of-exactly-forty-chars-xyz"
    role = agent_role(tenant, agent)
    assert len(role.encode()) == MAX_IDENTIFIER_BYTES
    assert re.fullmatch(r"agent_a_tenant_name_of_exactly_forty_chars_xyz_an_agen_[0-9a-f]{8}", role)
    assert agent_role(tenant, agent[:-1] + "w") != role


@given(tenant=NAMES, agent=NAMES)
def test_roles_fit_and_are_identifiers(tenant: str, agent: str) -> None:
    for role in (app_role(tenant), agent_role(tenant, agent)):
        assert len(role.encode()) <= MAX_IDENTIFIER_BYTES
        assert re.fullmatch(r"[a-z][a-z0-9_]*", role)
