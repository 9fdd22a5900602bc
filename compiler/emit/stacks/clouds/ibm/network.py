"""IBM Cloud networks: a VPC of the stack's own whose address prefixes are managed here (the
stack's range, in the region's first zone), its default security group and network ACL
created without rules (`no_sg_acl_rules`), three subnets (services, databases, endpoints)
with no public gateway, and security groups: the databases' admits PostgreSQL from the
services' group only. A bridge tenant has both groups of its own in its pool's VPC, so only
its own service reaches its database, as on AWS."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource

POSTGRES_PORT = 5432


@dataclass(frozen=True)
class Network:
    vpc_id: str
    workload_subnet_id: str
    database_subnet_id: str
    endpoints_subnet_id: str
    workload_group: str
    database_group: str


def zone(b: StackBuilder) -> str:
    """The region's first zone (`eu-de-1`): the stack's subnets all live there."""
    return f"{b.region}-1"


def network(b: StackBuilder, resource_group: str) -> Network:
    values = b.values.need("network")
    vpc = b.add(
        "network",
        "ibm_is_vpc",
        {
            "name": b.aws_name(),
            "resource_group": resource_group,
            "address_prefix_management": "manual",
            "no_sg_acl_rules": True,
        },
    )
    prefix = b.add(
        "address_prefix",
        "ibm_is_vpc_address_prefix",
        {
            "name": b.aws_name("range"),
            "vpc": vpc.ref("id"),
            "zone": zone(b),
            "cidr": values.network_cidr,
            "is_default": True,
        },
    )
    subnets = {}
    for index, role in enumerate(("workload", "database", "endpoints")):
        subnets[role] = b.add(
            f"{role}_subnet",
            "ibm_is_subnet",
            {
                "name": f"{b.aws_name()}-{role}",
                "vpc": vpc.ref("id"),
                "zone": zone(b),
                "resource_group": resource_group,
                "ipv4_cidr_block": getattr(values, f"subnet_cidr_{index}"),
            },
            depends_on=[prefix],  # a subnet's range must lie in a prefix of its VPC
        )
    workload, database = groups(b, resource_group, vpc.ref("id"))
    return Network(
        vpc.ref("id"),
        subnets["workload"].ref("id"),
        subnets["database"].ref("id"),
        subnets["endpoints"].ref("id"),
        workload.ref("id"),
        database.ref("id"),
    )


def groups(b: StackBuilder, resource_group: str, vpc_id: str) -> tuple[Resource, Resource]:
    """The services' group and the databases' group, which admits PostgreSQL from the
    services' group only (a security group admits nothing it has no rule for)."""
    found = {}
    for role in ("workload", "database"):
        found[role] = b.add(
            f"{role}_group",
            "ibm_is_security_group",
            {"name": f"{b.aws_name()}-{role}", "vpc": vpc_id, "resource_group": resource_group},
        )
    workload, database = found["workload"].ref("id"), found["database"].ref("id")
    for id, group, direction, remote in (
        ("database_from_workload", database, "inbound", workload),
        ("workload_to_database", workload, "outbound", database),
    ):
        b.add(
            id,
            "ibm_is_security_group_rule",
            {
                "group": group,
                "direction": direction,
                "remote": remote,
                "tcp": [{"port_min": POSTGRES_PORT, "port_max": POSTGRES_PORT}],
            },
        )
    return found["workload"], found["database"]


def endpoint(b: StackBuilder, resource_group: str, where: Network, database: Resource) -> None:
    """The database's private endpoint in the VPC: an address in the databases' subnet,
    behind the databases' group (which admits PostgreSQL from the services' group only)."""
    b.add(
        "database_endpoint",
        "ibm_is_virtual_endpoint_gateway",
        {
            "name": f"{b.aws_name()}-database",
            "vpc": where.vpc_id,
            "resource_group": resource_group,
            "target": [{"crn": database.ref("id"), "resource_type": "provider_cloud_service"}],
            "ips": [{"subnet": where.database_subnet_id, "name": f"{b.aws_name()}-database"}],
            "security_groups": [where.database_group],
        },
    )
