"""A private network: a VPC, one private subnet in each of three availability zones, a gateway
endpoint to S3, and two security groups: `workload` (services) and `database` (PostgreSQL,
reachable from workload only).

Nothing here is reachable from the internet: there is no internet gateway, no public subnet
and no public address. S3 is reached through the VPC's own endpoint; other AWS APIs (image
registry, logs, KMS) through the egress the account provides (NAT or interface endpoints),
which is outside these stacks. The VPC's default security group is taken over with no rules
at all, so nothing placed in it by mistake can talk to anything, and every flow in and out
of the network is logged to the stack's log bucket.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource, element

POSTGRES_PORT = 5432
HTTPS_PORT = 443


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnet_ids: list[str]
    workload_security_group_id: str
    database_security_group_id: str


@dataclass(frozen=True)
class SecurityGroups:
    workload: Resource
    database: Resource


def network(b: StackBuilder, log_bucket: Resource, log_policy: Resource) -> Network:
    """The network (its address ranges are values: `values.subnet_cidrs` cuts them); its
    flow logs go to `log_bucket` once its policy (`log_policy`) is in place."""
    v = b.values.need("network")
    blocks = [v.subnet_cidr_0, v.subnet_cidr_1, v.subnet_cidr_2]
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
            "cidr_block": v.network_cidr,
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
        for index, block in enumerate(blocks)
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
    b.add(
        "default_sg",
        "aws_default_security_group",
        {"vpc_id": vpc.ref("id"), "tags": {"Name": b.aws_name("default-unused")}},
    )
    b.add(
        "flow_logs",
        "aws_flow_log",
        {
            "vpc_id": vpc.ref("id"),
            "traffic_type": "ALL",
            "log_destination_type": "s3",
            "log_destination": log_bucket.ref("arn"),  # objects under AWSLogs/<account>/
            "max_aggregation_interval": 600,
            "tags": {"Name": b.aws_name("flow-logs")},
        },
        depends_on=[log_policy],
    )
    groups = security_groups(b, vpc.ref("id"))
    return Network(
        vpc.ref("id"),
        [s.ref("id") for s in subnets],
        groups.workload.ref("id"),
        groups.database.ref("id"),
    )


def security_groups(b: StackBuilder, vpc_id: str) -> SecurityGroups:
    """`workload` (the stack's services) and `database` (its PostgreSQL, reachable from
    `workload` only), in the stack's own network or, for a bridge tenant, its pool's."""
    workload = b.add(
        "workload_sg",
        "aws_security_group",
        {
            "name": b.aws_name("workload"),
            "description": "Services: HTTPS out to AWS APIs, PostgreSQL to the database",
            "vpc_id": vpc_id,
        },
    )
    database = database_security_group(b, vpc_id)
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
    allow_database_out(b, workload.ref("id"), database)
    admit_to_database(b, database, workload.ref("id"))
    return SecurityGroups(workload, database)


def allow_database_out(
    b: StackBuilder, workload_group_id: str, database: Resource, description: str = "PostgreSQL"
) -> None:
    """PostgreSQL out of one security group, to `database` only."""
    b.add(
        "workload_database_out",
        "aws_vpc_security_group_egress_rule",
        {
            "security_group_id": workload_group_id,
            "description": description,
            "ip_protocol": "tcp",
            "from_port": POSTGRES_PORT,
            "to_port": POSTGRES_PORT,
            "referenced_security_group_id": database.ref("id"),
        },
    )


def database_security_group(b: StackBuilder, vpc_id: str) -> Resource:
    return b.add(
        "database_sg",
        "aws_security_group",
        {
            "name": b.aws_name("database"),
            "description": "PostgreSQL, reachable from the workload security group only",
            "vpc_id": vpc_id,
        },
    )


def admit_to_database(b: StackBuilder, database: Resource, workload_group_id: str) -> None:
    """PostgreSQL into `database` from the services of one security group, and no other."""
    b.add(
        "database_from_workload",
        "aws_vpc_security_group_ingress_rule",
        {
            "security_group_id": database.ref("id"),
            "description": "PostgreSQL from services",
            "ip_protocol": "tcp",
            "from_port": POSTGRES_PORT,
            "to_port": POSTGRES_PORT,
            "referenced_security_group_id": workload_group_id,
        },
    )
