"""GCP networks: a VPC network of the stack's own with no automatic subnets, three private
ranges from the stack's values (the services' subnet, the range Cloud SQL's private
addresses are allocated from, a subnet for private endpoints), flow logs on both subnets,
and firewall rules: nothing comes in, and from inside the network only PostgreSQL reaches
the databases' range. Cloud SQL joins the network through private services access (a
peering to Google's service network), so no instance has a public address."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource

POSTGRES_PORT = "5432"
FLOW_LOGS = {
    "aggregation_interval": "INTERVAL_5_SEC",
    "flow_sampling": 0.5,
    "metadata": "INCLUDE_ALL_METADATA",
}
EVERYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class Network:
    network_id: str
    workload_subnet_id: str
    database_range: str  # the name of the range Cloud SQL's addresses come from
    peering: Resource | None = None  # what a database of the stack's own waits for


def network(b: StackBuilder, name: str) -> Network:
    """The stack's own network; `name` fits GCP's 63 characters."""
    values = b.values.need("network")
    vpc = b.add(
        "network",
        "google_compute_network",
        {"name": name, "auto_create_subnetworks": False, "routing_mode": "REGIONAL"},
    )
    subnets = {}
    for role, cidr in (("workload", values.subnet_cidr_0), ("endpoints", values.subnet_cidr_2)):
        subnets[role] = b.add(
            f"{role}_subnet",
            "google_compute_subnetwork",
            {
                "name": f"{name}-{role}",
                "network": vpc.ref("id"),
                "region": b.region,
                "ip_cidr_range": cidr,
                "private_ip_google_access": True,
                "log_config": [FLOW_LOGS],
            },
        )
    database_range = b.add(
        "database_addresses",
        "google_compute_global_address",
        {
            "name": f"{name}-databases",
            "purpose": "VPC_PEERING",
            "address_type": "INTERNAL",
            "network": vpc.ref("id"),
            "address": '${split("/", var.subnet_cidr_1)[0]}',
            "prefix_length": '${tonumber(split("/", var.subnet_cidr_1)[1])}',
        },
    )
    peering = b.add(
        "database_peering",
        "google_service_networking_connection",
        {
            "network": vpc.ref("id"),
            "service": "servicenetworking.googleapis.com",
            "reserved_peering_ranges": [database_range.ref("name")],
            # Removing the peering fails while Google still holds an address in the range;
            # the network's own deletion removes it.
            "deletion_policy": "ABANDON",
        },
    )
    _firewall(b, vpc, name, values.subnet_cidr_1)
    return Network(
        vpc.ref("id"), subnets["workload"].ref("id"), database_range.ref("name"), peering
    )


def _firewall(b: StackBuilder, vpc: Resource, name: str, database_cidr: str) -> None:
    """Nothing in from anywhere (logged); from inside, PostgreSQL only to the databases."""
    logged = {"log_config": [{"metadata": "INCLUDE_ALL_METADATA"}]}
    b.add(
        "deny_ingress",
        "google_compute_firewall",
        {
            "name": f"{name}-deny-ingress",
            "network": vpc.ref("id"),
            "direction": "INGRESS",
            "priority": 65000,
            "source_ranges": [EVERYWHERE],
            "deny": [{"protocol": "all"}],
            **logged,
        },
    )
    b.add(
        "postgres_egress",
        "google_compute_firewall",
        {
            "name": f"{name}-postgres",
            "network": vpc.ref("id"),
            "direction": "EGRESS",
            "priority": 1000,
            "destination_ranges": [database_cidr],
            "allow": [{"protocol": "tcp", "ports": [POSTGRES_PORT]}],
            **logged,
        },
    )
    b.add(
        "deny_database_egress",
        "google_compute_firewall",
        {
            "name": f"{name}-deny-databases",
            "network": vpc.ref("id"),
            "direction": "EGRESS",
            "priority": 2000,
            "destination_ranges": [database_cidr],
            "deny": [{"protocol": "all"}],
            **logged,
        },
    )
