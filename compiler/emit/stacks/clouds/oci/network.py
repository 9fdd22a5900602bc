"""OCI networks: a VCN of the stack's own with three private subnets (services, databases,
endpoints) where no VNIC may have a public address and nothing may come in from the
internet, the VCN's default security list emptied (it admits SSH from anywhere when
created), and network security groups: the databases' admits PostgreSQL from the
services' group only. A bridge tenant has both groups of its own in its pool's VCN, so
only its own service reaches its database, as on AWS."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource

POSTGRES_PORT = 5432
TCP = "6"


@dataclass(frozen=True)
class Network:
    vcn_id: str
    workload_subnet_id: str
    database_subnet_id: str
    endpoints_subnet_id: str
    workload_group: str
    database_group: str


def network(b: StackBuilder, compartment: str) -> Network:
    values = b.values.need("network")
    vcn = b.add(
        "network",
        "oci_core_vcn",
        {
            "compartment_id": compartment,
            "display_name": b.aws_name(),
            "cidr_blocks": [values.network_cidr],
        },
    )
    b.add(
        "default_security_list",
        "oci_core_default_security_list",
        {
            "manage_default_resource_id": vcn.ref("default_security_list_id"),
            "display_name": f"{b.aws_name()}-closed",
        },
    )
    subnets = {}
    for index, role in enumerate(("workload", "database", "endpoints")):
        subnets[role] = b.add(
            f"{role}_subnet",
            "oci_core_subnet",
            {
                "compartment_id": compartment,
                "vcn_id": vcn.ref("id"),
                "display_name": f"{b.aws_name()}-{role}",
                "cidr_block": getattr(values, f"subnet_cidr_{index}"),
                "prohibit_public_ip_on_vnic": True,
                "prohibit_internet_ingress": True,
            },
        )
    workload, database = groups(b, compartment, vcn.ref("id"))
    return Network(
        vcn.ref("id"),
        subnets["workload"].ref("id"),
        subnets["database"].ref("id"),
        subnets["endpoints"].ref("id"),
        workload.ref("id"),
        database.ref("id"),
    )


def groups(b: StackBuilder, compartment: str, vcn_id: str) -> tuple[Resource, Resource]:
    """The services' group and the databases' group, which admits PostgreSQL from the
    services' group only."""
    found = {}
    for role in ("workload", "database"):
        found[role] = b.add(
            f"{role}_group",
            "oci_core_network_security_group",
            {
                "compartment_id": compartment,
                "vcn_id": vcn_id,
                "display_name": f"{b.aws_name()}-{role}",
            },
        )
    b.add(
        "database_from_workload",
        "oci_core_network_security_group_security_rule",
        {
            "network_security_group_id": found["database"].ref("id"),
            "direction": "INGRESS",
            "protocol": TCP,
            "source_type": "NETWORK_SECURITY_GROUP",
            "source": found["workload"].ref("id"),
            "stateless": False,
            "description": "PostgreSQL from the services",
            "tcp_options": [
                {"destination_port_range": [{"min": POSTGRES_PORT, "max": POSTGRES_PORT}]}
            ],
        },
    )
    return found["workload"], found["database"]
