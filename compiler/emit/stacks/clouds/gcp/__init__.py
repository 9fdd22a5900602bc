"""The GCP driver: the components as a VPC network, Cloud SQL for PostgreSQL, Cloud KMS,
Cloud Storage, Secret Manager, Cloud Run and Apigee (docs/clouds.md).

Tenants read their pool's parts from its outputs (`POOL_OUTPUTS`), through remote state,
like on every cloud. A bridge tenant's database is an instance of its own with private
addresses in the pool's network (from the pool's range); the network cannot tell tenants
apart, so its isolation is its IAM login: only its service account (and, for a plan
without compute, the pool's) may connect to its instance.
"""

from __future__ import annotations

from typing import Any

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.clouds.gcp import data
from compiler.emit.stacks.clouds.gcp import network as net
from compiler.emit.stacks.clouds.gcp.api import PROXY, Api, api, limits
from compiler.emit.stacks.clouds.gcp.identity import identity
from compiler.emit.stacks.clouds.gcp.rules import GCP_RULES
from compiler.emit.stacks.components import Built, Components
from compiler.emit.stacks.parts.access import tenant_prefix

__all__ = ["GCP_RULES", "POOL_OUTPUTS", "GcpComponents"]

# The outputs tenant stacks may rely on: (name, description).
POOL_OUTPUTS = (
    ("network_id", "The pool's VPC network"),
    ("workload_subnet_id", "Subnet of the services"),
    ("database_range", "The range Cloud SQL's private addresses are allocated from"),
    ("database_instance", "The shared Cloud SQL instance's name"),
    ("database_host", "Private address of the shared PostgreSQL"),
    ("bucket_name", "The shared bucket; tenants under tenants/<tenant>/"),
    ("workload_service_account", "Service account the shared services run as"),
    ("log_bucket_id", "Cloud Logging bucket of the pool's logs"),
    ("api_environment", "The Apigee environment of the platform API"),
)


class GcpComponents(Components):
    def __init__(self, b: StackBuilder) -> None:
        super().__init__(b)
        self.kind = b.shape.kind
        self._logs: Resource | None = None

    def _pool(self, output: str) -> str:
        return self.b.pool_output(output)

    def _name(self) -> str:
        """The stack's name as GCP's 63-character names take it (its bucket's base)."""
        return str(self.b.values.need("bucket").bucket_base_name)

    def short_name(self) -> str:
        """The stack's name in 30 characters: its service account's id (a value)."""
        if self.kind == "pool":
            return str(self.b.values.need("workload").workload_role_name)
        return str(self.b.values.need("tenant").role_name)

    def key(self) -> Resource:
        return data.key(self.b, self._name())

    def logs(self) -> Resource:
        self._logs = data.logs(self.b)
        return self._logs

    def network(self, built: Built) -> net.Network:
        return net.network(self.b, self._name())

    def pool_network(self) -> net.Network:
        """The pool's network and database range: a bridge tenant's instance gets its
        private address there, and its service runs in the pool's service subnet."""
        service = self.b.shape.workload == "service"
        return net.Network(
            self._pool("network_id"),
            self._pool("workload_subnet_id") if service else "",
            self._pool("database_range"),
        )

    def database(self, built: Built) -> Resource:
        where: net.Network = built.network
        waits = [where.peering] if where.peering is not None else []
        return data.database(self.b, where.network_id, where.database_range, waits)

    def storage(self, built: Built) -> Resource:
        return data.storage(self.b)

    def service_logs(self) -> None:
        """Route the stack's logs (audit, flow, database, service) to its own log bucket,
        or a bridge tenant's to its pool's."""
        b = self.b
        destination = self._logs.ref("id") if self._logs else self._pool("log_bucket_id")
        database = b.values.need("database").database_identifier
        data.route_logs(b, destination, self._name(), database, self.short_name())

    def compute(self, built: Built) -> None:
        """Cloud Run needs no platform of its own: a service reaches its network through
        direct VPC egress into the services' subnet."""
        return

    def identity(self, built: Built) -> Resource:
        return identity(self.b, built, self.short_name())

    def service(self, built: Built) -> None:
        b = self.b
        service = b.values.need("service")
        tenant = b.values.need("tenant")
        where: net.Network = built.network
        image = b.setting("app_image", "The application's container image (TF_VAR_app_image)")
        env = {
            "PAYBILL_TENANT": tenant.tenant,
            "PAYBILL_DATABASE_HOST": built.database.ref("private_ip_address"),
            "PAYBILL_DATABASE_NAME": b.platform.database_name,
            "PAYBILL_DATABASE_USER": tenant.login_role,
            "PAYBILL_DATABASE_ROLE": service.app_role,
            "PAYBILL_BUCKET": built.storage.ref("name"),
        }
        stopped = "var.service_max_tasks == 0"
        b.add(
            "service",
            "google_cloud_run_v2_service",
            {
                "name": self.short_name(),
                "location": b.region,
                "ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY",
                "deletion_protection": False,  # it holds no data: offboarding removes it
                # A suspended tenant's service runs no instance at all.
                "scaling": [
                    {
                        "scaling_mode": f'${{{stopped} ? "MANUAL" : "AUTOMATIC"}}',
                        "manual_instance_count": f"${{{stopped} ? 0 : null}}",
                    }
                ],
                "template": [
                    {
                        "service_account": built.identity.ref("email"),
                        "scaling": [
                            {
                                "min_instance_count": service.service_min_tasks,
                                "max_instance_count": "${max(var.service_max_tasks, 1)}",
                            }
                        ],
                        "vpc_access": [
                            {
                                "egress": "ALL_TRAFFIC",
                                "network_interfaces": [
                                    {
                                        "network": where.network_id,
                                        "subnetwork": where.workload_subnet_id,
                                    }
                                ],
                            }
                        ],
                        "containers": [
                            {
                                "name": "app",
                                "image": image,
                                "ports": [{"container_port": 8080}],
                                "resources": [
                                    {
                                        "limits": {
                                            "cpu": "${var.task_cpu / 1024}",
                                            "memory": "${var.task_memory}Mi",
                                        }
                                    }
                                ],
                                "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
                            }
                        ],
                    }
                ],
            },
        )

    def api(self, built: Built) -> Api:
        return api(self.b, self.short_name())

    def limits(self, built: Built) -> str | None:
        if self.kind == "silo":
            if built.api is None:
                return None  # offboarding: its environment is gone, and its products
            return limits(self.b, built.api)
        return limits(self.b, Api(self._pool("api_environment"), PROXY))

    def outputs(self, built: Built) -> None:
        b = self.b
        if self.kind == "pool":
            where: net.Network = built.network
            values: dict[str, Any] = {
                "network_id": where.network_id,
                "workload_subnet_id": where.workload_subnet_id,
                "database_range": where.database_range,
                "database_instance": built.database.ref("name"),
                "database_host": built.database.ref("private_ip_address"),
                "bucket_name": built.storage.ref("name"),
                "workload_service_account": built.identity.ref("email"),
                "log_bucket_id": built.logs.ref("id"),
                "api_environment": built.api.environment,
            }
            for name, description in POOL_OUTPUTS:
                b.output(name, values[name], description)
            return
        tenant = b.values.need("tenant")
        b.output(
            "tenant_service_account", built.identity.ref("email"), "Who the tenant's code acts as"
        )
        b.output(
            "database_login",
            tenant.login_role,
            "The database user the tenant's service account logs in as (IAM)",
        )
        if self.kind == "pooled":
            b.output(
                "storage_prefix",
                tenant_prefix(tenant.tenant),
                "The tenant's prefix in the pool's bucket",
            )
        else:
            b.output("key_id", b.key_arn, "The tenant's Cloud KMS key")
            b.output(
                "database_host",
                built.database.ref("private_ip_address"),
                "Private address of the tenant's database",
            )
            b.output("bucket_name", built.storage.ref("name"), "The tenant's bucket")
        if built.limits is not None:
            b.output("api_app_id", built.limits, "The tenant's Apigee app (its key is in Apigee)")
