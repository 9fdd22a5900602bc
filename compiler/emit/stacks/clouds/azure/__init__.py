"""The Azure driver: the components as a virtual network, PostgreSQL flexible server, Key
Vault, a storage account, Container Apps and API Management (docs/clouds.md).

Every stack has a resource group of its own. Tenants read their pool's parts from its
outputs (`POOL_OUTPUTS`), through remote state, like on every cloud. A bridge tenant's
database sits in the pool's database subnet: the subnet admits the pool's service subnet
only, and the database admits Entra ID logins only, the tenant's identity among them.
"""

from __future__ import annotations

from typing import Any

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.clouds.azure import data
from compiler.emit.stacks.clouds.azure import network as net
from compiler.emit.stacks.clouds.azure.api import Api, api, limits
from compiler.emit.stacks.clouds.azure.rules import AZURE_RULES
from compiler.emit.stacks.components import Built, Components
from compiler.emit.stacks.parts.access import tenant_prefix

__all__ = ["AZURE_RULES", "POOL_OUTPUTS", "AzureComponents"]

BLOB_ROLE = "Storage Blob Data Contributor"
# The outputs tenant stacks may rely on: (name, description).
POOL_OUTPUTS = (
    ("network_id", "The pool's virtual network"),
    ("workload_subnet_id", "Subnet of the services"),
    ("database_subnet_id", "Subnet of the databases, delegated to PostgreSQL"),
    ("database_dns_zone_id", "Private DNS zone the databases are found through"),
    ("database_host", "Host name of the shared PostgreSQL"),
    ("storage_account_id", "The shared storage account; tenants under tenants/<tenant>/"),
    ("storage_container_id", "The shared container"),
    ("workload_principal_id", "Identity the shared services run as"),
    ("log_workspace_id", "Log Analytics workspace of the pool's logs"),
    ("environment_id", "The shared Container Apps environment"),
    ("api_management_name", "The platform API's API Management instance"),
    ("api_resource_group", "Its resource group"),
    ("api_name", "The platform API, which tenants' products contain"),
)


class AzureComponents(Components):
    def __init__(self, b: StackBuilder) -> None:
        super().__init__(b)
        self.group = net.resource_group(b)
        self.kind = b.shape.kind

    def _pool(self, output: str) -> str:
        return self.b.pool_output(output)

    def _workspace(self, built: Built) -> str:
        if built.logs is not None:
            return str(built.logs.ref("id"))
        return self._pool("log_workspace_id")

    def key(self) -> data.Key:
        return data.key(self.b, self.group)

    def logs(self) -> Resource:
        return data.logs(self.b, self.group)

    def network(self, built: Built) -> net.Network:
        return net.network(self.b, self.group)

    def pool_network(self) -> net.Network:
        """The pool's database subnet and DNS zone: a bridge tenant's database is placed
        there, and its service runs in the pool's environment (in the pool's subnet)."""
        return net.Network(
            "", "", self._pool("database_subnet_id"), self._pool("database_dns_zone_id")
        )

    def database(self, built: Built) -> Resource:
        where: net.Network = built.network
        return data.database(
            self.b,
            self.group,
            built.key,
            where.database_subnet_id,
            where.dns_zone_id,
            self._workspace(built),
        )

    def storage(self, built: Built) -> Resource:
        return data.storage(self.b, self.group, built.key, self._workspace(built))

    def service_logs(self) -> None:
        """Container Apps write their logs to their environment's workspace (the stack's,
        or the pool's for a bridge tenant's service): nothing of their own to build."""
        return

    def compute(self, built: Built) -> Resource:
        where: net.Network = built.network
        return self.b.add(
            "environment",
            "azurerm_container_app_environment",
            {
                "name": self.b.aws_name(),
                "resource_group_name": self.group.ref("name"),
                "location": self.b.region,
                "log_analytics_workspace_id": built.logs.ref("id"),
                "infrastructure_subnet_id": where.workload_subnet_id,
                "internal_load_balancer_enabled": True,
                "zone_redundancy_enabled": True,
                "public_network_access": "Disabled",
            },
        )

    def identity(self, built: Built) -> Resource:
        b = self.b
        if self.kind == "pool":
            name = b.values.need("workload").workload_role_name
        else:
            name = b.values.need("tenant").role_name
        identity = b.add(
            "identity",
            "azurerm_user_assigned_identity",
            {"name": name, "resource_group_name": self.group.ref("name"), "location": b.region},
        )
        if self.kind == "pooled":
            tenant = b.values.need("tenant").tenant
            prefix = tenant_prefix(tenant)
            # Its own prefix of the pool's container, by an attribute-based condition.
            b.add(
                "identity_blobs",
                "azurerm_role_assignment",
                {
                    "scope": self._pool("storage_container_id"),
                    "role_definition_name": BLOB_ROLE,
                    "principal_id": identity.ref("principal_id"),
                    "principal_type": "ServicePrincipal",
                    "condition_version": "2.0",
                    "condition": (
                        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers"
                        f"/blobs:path] StringStartsWith '{prefix}'"
                    ),
                },
            )
        elif self.kind in ("silo", "bridge"):
            data.grant(b, "identity_blobs", built.storage.ref("id"), identity, BLOB_ROLE)
            if b.shape.workload == "shared":
                # The pool's shared services serve this tenant: they reach its bucket too.
                data.grant(
                    b,
                    "pool_blobs",
                    built.storage.ref("id"),
                    self._pool("workload_principal_id"),
                    BLOB_ROLE,
                )
        return identity

    def service(self, built: Built) -> None:
        b = self.b
        service = b.values.need("service")
        tenant = b.values.need("tenant")
        environment = (
            built.compute.ref("id") if built.compute is not None else self._pool("environment_id")
        )
        image = b.setting("app_image", "The application's container image (TF_VAR_app_image)")
        env = {
            "PAYBILL_TENANT": tenant.tenant,
            "PAYBILL_DATABASE_HOST": built.database.ref("fqdn"),
            "PAYBILL_DATABASE_NAME": b.platform.database_name,
            "PAYBILL_DATABASE_USER": tenant.login_role,
            "PAYBILL_DATABASE_ROLE": service.app_role,
            "PAYBILL_STORAGE_ACCOUNT": built.storage.ref("name"),
            "AZURE_CLIENT_ID": built.identity.ref("client_id"),
        }
        b.add(
            "service",
            "azurerm_container_app",
            {
                "name": "service",
                "resource_group_name": self.group.ref("name"),
                "container_app_environment_id": environment,
                "revision_mode": "Single",
                "identity": [{"type": "UserAssigned", "identity_ids": [built.identity.ref("id")]}],
                "ingress": [
                    {
                        "external_enabled": False,
                        "target_port": 8080,
                        "transport": "http",
                        "allow_insecure_connections": False,
                        "traffic_weight": [{"latest_revision": True, "percentage": 100}],
                    }
                ],
                "template": [
                    {
                        "min_replicas": service.service_min_tasks,
                        "max_replicas": service.service_max_tasks,
                        "container": [
                            {
                                "name": "app",
                                "image": image,
                                "cpu": "${var.task_cpu / 1024}",
                                "memory": '${format("%.2fGi", var.task_memory / 1024)}',
                                "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
                            }
                        ],
                    }
                ],
            },
        )

    def api(self, built: Built) -> Api:
        return api(self.b, self.group)

    def limits(self, built: Built) -> str | None:
        b = self.b
        if self.kind == "silo":
            if built.api is None:
                return None  # offboarding: its API Management is gone, and its products
            return limits(b, built.api)
        pool_api = Api(
            self._pool("api_management_name"),
            self._pool("api_resource_group"),
            self._pool("api_name"),
        )
        return limits(b, pool_api)

    def outputs(self, built: Built) -> None:
        b = self.b
        if self.kind == "pool":
            where: net.Network = built.network
            values: dict[str, Any] = {
                "network_id": where.network_id,
                "workload_subnet_id": where.workload_subnet_id,
                "database_subnet_id": where.database_subnet_id,
                "database_dns_zone_id": where.dns_zone_id,
                "database_host": built.database.ref("fqdn"),
                "storage_account_id": built.storage.ref("id"),
                "storage_container_id": f"{built.storage.ref('id')}/blobServices/default"
                "/containers/data",
                "workload_principal_id": built.identity.ref("principal_id"),
                "log_workspace_id": built.logs.ref("id"),
                "environment_id": built.compute.ref("id"),
                "api_management_name": built.api.name,
                "api_resource_group": built.api.group,
                "api_name": built.api.api_name,
            }
            for name, description in POOL_OUTPUTS:
                b.output(name, values[name], description)
            return
        tenant_values = b.values.need("tenant")
        b.output(
            "tenant_identity_id", built.identity.ref("id"), "Identity the tenant's code acts as"
        )
        b.output(
            "database_login",
            tenant_values.login_role,
            "The database user the tenant's identity logs in as (Entra ID)",
        )
        if self.kind == "pooled":
            tenant = b.values.need("tenant").tenant
            b.output(
                "storage_prefix",
                tenant_prefix(tenant),
                "The tenant's prefix in the pool's container",
            )
        else:
            b.output("key_id", b.key_arn, "The tenant's Key Vault key")
            b.output(
                "database_host", built.database.ref("fqdn"), "Host name of the tenant's database"
            )
            b.output(
                "storage_account_name", built.storage.ref("name"), "The tenant's storage account"
            )
        if built.limits is not None:
            b.output(
                "api_subscription_id",
                built.limits,
                "The tenant's API subscription (its keys are in Azure)",
            )
