"""Azure networks: a virtual network with three private subnets (services, databases,
private endpoints), a network security group on each that admits PostgreSQL to the
database subnet from the service subnet only, and the private DNS zone the databases are
found through. No subnet has default outbound access; nothing has a public address."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource

POSTGRES_PORT = "5432"
# Who may use each subnet: Container Apps environments and PostgreSQL flexible servers need
# a subnet delegated to them.
DELEGATIONS = {
    "workload": "Microsoft.App/environments",
    "database": "Microsoft.DBforPostgreSQL/flexibleServers",
}


@dataclass(frozen=True)
class Network:
    network_id: str
    workload_subnet_id: str
    database_subnet_id: str
    dns_zone_id: str


def resource_group(b: StackBuilder) -> Resource:
    """Every stack's resources live in a resource group of its own."""
    return b.add(
        "group",
        "azurerm_resource_group",
        {"name": f"rg-{b.aws_name()}", "location": b.region},
    )


def network(b: StackBuilder, group: Resource) -> Network:
    values = b.values.need("network")
    located = {"resource_group_name": group.ref("name"), "location": b.region}
    vnet = b.add(
        "network",
        "azurerm_virtual_network",
        {"name": b.aws_name(), **located, "address_space": [values.network_cidr]},
    )
    subnets = {}
    for index, role in enumerate(("workload", "database", "endpoints")):
        attributes = {
            "name": role,
            "resource_group_name": group.ref("name"),
            "virtual_network_name": vnet.ref("name"),
            "address_prefixes": [getattr(values, f"subnet_cidr_{index}")],
            "default_outbound_access_enabled": False,
            "private_endpoint_network_policies": "Enabled",
        }
        if role in DELEGATIONS:
            attributes["delegation"] = [
                {
                    "name": role,
                    "service_delegation": [
                        {
                            "name": DELEGATIONS[role],
                            "actions": ["Microsoft.Network/virtualNetworks/subnets/action"],
                        }
                    ],
                }
            ]
        subnet = subnets[role] = b.add(f"{role}_subnet", "azurerm_subnet", attributes)
        rules = _database_rules(values.subnet_cidr_0) if role == "database" else []
        nsg = b.add(
            f"{role}_security_group",
            "azurerm_network_security_group",
            {"name": f"{b.aws_name()}-{role}", **located, "security_rule": rules},
        )
        b.add(
            f"{role}_security_group_association",
            "azurerm_subnet_network_security_group_association",
            {"subnet_id": subnet.ref("id"), "network_security_group_id": nsg.ref("id")},
        )
    zone = b.add(
        "database_dns",
        "azurerm_private_dns_zone",
        {
            "name": f"{b.aws_name()}.private.postgres.database.azure.com",
            "resource_group_name": group.ref("name"),
        },
    )
    b.add(
        "database_dns_link",
        "azurerm_private_dns_zone_virtual_network_link",
        {
            "name": b.aws_name(),
            "private_dns_zone_id": zone.ref("id"),
            "virtual_network_id": vnet.ref("id"),
            "registration_enabled": False,
        },
    )
    return Network(
        vnet.ref("id"),
        subnets["workload"].ref("id"),
        subnets["database"].ref("id"),
        zone.ref("id"),
    )


def _database_rules(workload_cidr: str) -> list[dict[str, object]]:
    """PostgreSQL from the service subnet, nothing else from inside the network."""
    rule = {
        "description": "",
        "protocol": "Tcp",
        "source_port_range": "*",
        "source_port_ranges": [],
        "destination_address_prefix": "*",
        "destination_address_prefixes": [],
        "destination_port_ranges": [],
        "source_address_prefixes": [],
        "source_application_security_group_ids": [],
        "destination_application_security_group_ids": [],
        "direction": "Inbound",
    }
    return [
        {
            **rule,
            "name": "postgres-from-workload",
            "description": "PostgreSQL from the services' subnet",
            "priority": 100,
            "access": "Allow",
            "source_address_prefix": workload_cidr,
            "destination_port_range": POSTGRES_PORT,
        },
        {
            **rule,
            "name": "deny-virtual-network",
            "description": "Nothing else from inside the network",
            "priority": 4000,
            "access": "Deny",
            "protocol": "*",
            "source_address_prefix": "VirtualNetwork",
            "destination_port_range": "*",
        },
    ]
