"""A private network: a VPC, one private subnet in each of three availability zones, a gateway
endpoint to S3, and two security groups: `workload` (services) and `database` (PostgreSQL,
reachable from workload only).

Nothing here is reachable from the internet: there is no internet gateway, no public subnet
and no public address. S3 is reached through the VPC's own endpoint; other AWS APIs (image
registry, logs, KMS) through the egress the account provides (NAT or interface endpoints),
which is outside these stacks.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource, element

ZONES = 3
SUBNET_BITS = 4  # a /16 gives /20 subnets; a /24 (the smallest allowed) gives /28s
POSTGRES_PORT = 5432
HTTPS_PORT = 443


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnet_ids: list[str]
    workload_security_group_id: str
    database_security_group_id: str


def subnet_cidrs(cidr: str) -> list[str]:
    """The first three /(prefix+4) blocks of the network, one per zone."""
    network = ipaddress.IPv4Network(cidr)
    blocks = network.subnets(prefixlen_diff=SUBNET_BITS)
    return [str(next(blocks)) for _ in range(ZONES)]


def network(b: StackBuilder, cidr: str) -> Network:
    zones = b.data(
        "zones",
        "aws_availability_zones",
        {
            "state": "available",
            "filter": [{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
        },
    )
    vpc = b.add(
        "vpc",
        "aws_vpc",
        {
            "cidr_block": cidr,
            "enable_dns_hostnames": True,
            "enable_dns_support": True,
            "tags": {"Name": b.aws_name()},
        },
    )
    subnets = [
        b.add(
            f"private_{index}",
            "aws_subnet",
            {
                "vpc_id": vpc.ref("id"),
                "cidr_block": block,
                "availability_zone": element(zones.expression("names"), index),
                "map_public_ip_on_launch": False,
                "tags": {"Name": b.aws_name(f"private-{index}")},
            },
        )
        for index, block in enumerate(subnet_cidrs(cidr))
    ]
    b.add(
        "s3_endpoint",
        "aws_vpc_endpoint",
        {
            "vpc_id": vpc.ref("id"),
            "service_name": f"{b.reverse_dns_prefix}.{b.region}.s3",
            "vpc_endpoint_type": "Gateway",
            "route_table_ids": [vpc.ref("main_route_table_id")],
            "tags": {"Name": b.aws_name("s3")},
        },
    )
    workload, database = _security_groups(b, vpc)
    return Network(
        vpc.ref("id"),
        [s.ref("id") for s in subnets],
        workload.ref("id"),
        database.ref("id"),
    )


def _security_groups(b: StackBuilder, vpc: Resource) -> tuple[Resource, Resource]:
    workload = b.add(
        "workload_sg",
        "aws_security_group",
        {
            "name": b.aws_name("workload"),
            "description": "Services: HTTPS out to AWS APIs, PostgreSQL to the database",
            "vpc_id": vpc.ref("id"),
        },
    )
    database = b.add(
        "database_sg",
        "aws_security_group",
        {
            "name": b.aws_name("database"),
            "description": "PostgreSQL, reachable from the workload security group only",
            "vpc_id": vpc.ref("id"),
        },
    )
    b.add(
        "workload_https_out",
        "aws_vpc_security_group_egress_rule",
        {
            "security_group_id": workload.ref("id"),
            "description": "HTTPS to AWS APIs and the image registry",
            "ip_protocol": "tcp",
            "from_port": HTTPS_PORT,
            "to_port": HTTPS_PORT,
            "cidr_ipv4": "0.0.0.0/0",
        },
    )
    b.add(
        "workload_database_out",
        "aws_vpc_security_group_egress_rule",
        {
            "security_group_id": workload.ref("id"),
            "description": "PostgreSQL",
            "ip_protocol": "tcp",
            "from_port": POSTGRES_PORT,
            "to_port": POSTGRES_PORT,
            "referenced_security_group_id": database.ref("id"),
        },
    )
    b.add(
        "database_from_workload",
        "aws_vpc_security_group_ingress_rule",
        {
            "security_group_id": database.ref("id"),
            "description": "PostgreSQL from services",
            "ip_protocol": "tcp",
            "from_port": POSTGRES_PORT,
            "to_port": POSTGRES_PORT,
            "referenced_security_group_id": workload.ref("id"),
        },
    )
    return workload, database
