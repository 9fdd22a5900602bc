"""Which tenant's pull request an output file goes into: by the node records, so a stack
the spec names (`stack: tenant-acme-2`) and an old home kept beside it are the tenant's."""

from __future__ import annotations

from compiler.billing.propose import tenant_of
from compiler.homes import KeptHome
from compiler.records import NodeRecord, TenantFacts, stack_tenants, tenant_of_stack


def tenant(name: str, stack: str | None = None, kept: KeptHome | None = None) -> NodeRecord:
    facts = TenantFacts(
        "pro", "silo", "eu-central-1", None, "active", "active", True, stack or f"tenant-{name}",
        cloud="aws", stack=stack, kept=kept,
    )  # fmt: skip
    return NodeRecord(f"tenant:{name}", "tenant", name, (), 3, "0" * 64, (), facts)


RECORDS = {
    "tenant:acme": tenant("acme", "tenant-acme-2", KeptHome("bridge/eu-shared", "tenant-acme")),
    "tenant:acme-2": tenant("acme-2", "tenant-acme-two"),
    "tenant:beta": tenant("beta"),
}


def test_named_and_kept_stacks_belong_to_their_tenant() -> None:
    stacks = stack_tenants(RECORDS)
    assert stacks == {
        "tenant-acme-2": "acme",
        "tenant-acme": "acme",
        "tenant-acme-two": "acme-2",
        "tenant-beta": "beta",
    }
    assert tenant_of("stack:tenant-acme-2", stacks) == "acme"  # not tenant acme-2's
    assert tenant_of("sql:tenant-acme", stacks) == "acme"
    assert tenant_of("acl:beta", stacks) == "beta"
    assert tenant_of("stack:pool-eu-shared", stacks) is None
    assert tenant_of("cedar:platform", stacks) is None
    assert tenant_of_stack("tenant-acme-2", {}, RECORDS) == "acme"
    assert tenant_of_stack("tenant-gamma", RECORDS) == "gamma"  # unknown: by its name
