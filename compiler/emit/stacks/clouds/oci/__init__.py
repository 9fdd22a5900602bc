"""The OCI driver: the components as a VCN, OCI Database with PostgreSQL, the Vault,
Object Storage, container instances and API Gateway (docs/clouds.md).

Every stack (but a pooled tenant's, which lives in its pool's) has a compartment of its
own under the platform's. Tenants read their pool's parts from its outputs
(`POOL_OUTPUTS`), through remote state, like on every cloud.
"""

from __future__ import annotations

from typing import Any

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.clouds.oci import data
from compiler.emit.stacks.clouds.oci import network as net
from compiler.emit.stacks.clouds.oci.api import Api, Vault, api, limits
from compiler.emit.stacks.clouds.oci.identity import identity
from compiler.emit.stacks.clouds.oci.rules import OCI_RULES
from compiler.emit.stacks.components import Built, Components
from compiler.emit.stacks.parts.access import tenant_prefix

__all__ = ["OCI_RULES", "POOL_OUTPUTS", "OciComponents"]

POOL_OUTPUTS = (
    ("compartment_id", "The pool's compartment"),
    ("vcn_id", "The pool's VCN"),
    ("workload_subnet_id", "Subnet of the services"),
    ("database_subnet_id", "Subnet of the databases"),
    ("database_host", "Private address of the shared PostgreSQL"),
    ("bucket_name", "The shared bucket; tenants under tenants/<tenant>/"),
    ("vault_id", "The pool's Vault, where pooled tenants' tokens are generated"),
    ("key_id", "The pool's key"),
    ("workload_group_name", "Dynamic group of the shared services"),
    ("log_group_id", "Log group of the pool's logs"),
    ("api_deployment_id", "The platform API's deployment"),
)


class OciComponents(Components):
    def __init__(self, b: StackBuilder) -> None:
        super().__init__(b)
        self.kind = b.shape.kind
        parent = dict(b.platform.account_of("oci"))["compartmentId"]
        if self.kind == "pooled":
            self.compartment = b.pool_output("compartment_id")
        else:
            self.compartment = data.compartment(b, parent).ref("id")
        self.vault: Resource | None = None
        self.log_group: str | None = None

    def _pool(self, output: str) -> str:
        return self.b.pool_output(output)

    def key(self) -> Resource:
        self.vault, stack_key = data.key(self.b, self.compartment)
        return stack_key

    def logs(self) -> Resource:
        group = data.logs(self.b, self.compartment)
        self.log_group = group.ref("id")
        return group

    def _log_group(self) -> str:
        return self.log_group if self.log_group is not None else self._pool("log_group_id")

    def network(self, built: Built) -> net.Network:
        found = net.network(self.b, self.compartment)
        data.service_log(
            self.b, "flow_log", self._log_group(), "flowlogs", "all", found.workload_subnet_id
        )
        return found

    def pool_network(self) -> net.Network:
        """Groups of the tenant's own in the pool's VCN: only its service reaches its
        database."""
        vcn = self._pool("vcn_id")
        workload, database = net.groups(self.b, self.compartment, vcn)
        service = self.b.shape.workload == "service"
        return net.Network(
            vcn,
            self._pool("workload_subnet_id") if service else "",
            self._pool("database_subnet_id"),
            "",
            workload.ref("id"),
            database.ref("id"),
        )

    def database(self, built: Built) -> Resource:
        where: net.Network = built.network
        return data.database(
            self.b, self.compartment, self._vault(), where.database_subnet_id, where.database_group
        )

    def storage(self, built: Built) -> Resource:
        return data.storage(self.b, self.compartment, self._log_group())

    def service_logs(self) -> None:
        """Container instances' logs go to OCI Logging through the service's own log
        agent; nothing of their own to build."""
        return

    def compute(self, built: Built) -> None:
        """Container instances need no platform of their own."""
        return

    def identity(self, built: Built) -> Resource | None:
        if self.kind == "pooled":
            return None  # served by the pool's shared services (identity.py)
        bucket = built.storage.ref("name")
        return identity(self.b, self.compartment, bucket)

    def service(self, built: Built) -> None:
        b = self.b
        service = b.values.need("service")
        tenant = b.values.need("tenant")
        where: net.Network = built.network
        image = b.setting("app_image", "The application's container image (TF_VAR_app_image)")
        zone = b.data(
            "zone",
            "oci_identity_availability_domain",
            {"compartment_id": self.compartment, "ad_number": 1},
        )
        env = {
            "PAYBILL_TENANT": tenant.tenant,
            "PAYBILL_DATABASE_HOST": built.database.ref(
                "network_details[0].primary_db_endpoint_private_ip"
            ),
            "PAYBILL_DATABASE_NAME": b.platform.database_name,
            "PAYBILL_DATABASE_USER": tenant.login_role,
            "PAYBILL_DATABASE_ROLE": service.app_role,
            "PAYBILL_BUCKET": built.storage.ref("name"),
        }
        b.add(
            "service",
            "oci_container_instances_container_instance",
            {
                "compartment_id": self.compartment,
                "availability_domain": zone.ref("name"),
                "display_name": b.aws_name("service"),
                "shape": "CI.Standard.E4.Flex",
                # A suspended tenant's instance is stopped.
                "state": '${var.service_max_tasks == 0 ? "INACTIVE" : "ACTIVE"}',
                "container_restart_policy": "ALWAYS",
                "shape_config": [
                    {
                        "ocpus": "${max(var.task_cpu / 2048, 1)}",
                        "memory_in_gbs": "${max(var.task_memory / 1024, 1)}",
                    }
                ],
                "vnics": [
                    {
                        "subnet_id": where.workload_subnet_id,
                        "nsg_ids": [where.workload_group],
                        "is_public_ip_assigned": False,
                    }
                ],
                "containers": [
                    {
                        "display_name": "app",
                        "image_url": image,
                        "environment_variables": dict(sorted(env.items())),
                        "security_context": [
                            {
                                "security_context_type": "LINUX",
                                "is_non_root_user_check_enabled": True,
                                "is_root_file_system_readonly": True,
                            }
                        ],
                    }
                ],
            },
        )

    def api(self, built: Built) -> Api:
        where: net.Network = built.network
        return api(self.b, self.compartment, where.endpoints_subnet_id, where.workload_group)

    def limits(self, built: Built) -> str | None:
        b = self.b
        if self.kind == "silo":
            if built.api is None:
                return None  # offboarding: its gateway is gone, and its usage plans
            on = built.api
        else:
            on = Api(self._pool("api_deployment_id"))
        return limits(b, self.compartment, on, self._token_vault)

    def _token_vault(self) -> Vault:
        """Where the tenant's API token is generated: its own vault, or its pool's."""
        b = self.b
        if self.kind == "pooled":
            b.key_arn = self._pool("key_id")
            return Vault(self._pool("vault_id"), b.key_arn)
        return Vault(self._vault().ref("id"), str(b.key_arn))

    def _vault(self) -> Resource:
        if self.vault is None:
            raise ValueError(f"{self.b.shape.name}: the stack's vault is not built yet")
        return self.vault

    def outputs(self, built: Built) -> None:
        b = self.b
        if self.kind == "pool":
            where: net.Network = built.network
            values: dict[str, Any] = {
                "compartment_id": self.compartment,
                "vcn_id": where.vcn_id,
                "workload_subnet_id": where.workload_subnet_id,
                "database_subnet_id": where.database_subnet_id,
                "database_host": built.database.ref(
                    "network_details[0].primary_db_endpoint_private_ip"
                ),
                "bucket_name": built.storage.ref("name"),
                "vault_id": self._vault().ref("id"),
                "key_id": b.key_arn,
                "workload_group_name": built.identity.ref("name"),
                "log_group_id": built.logs.ref("id"),
                "api_deployment_id": built.api.deployment_id,
            }
            for name, description in POOL_OUTPUTS:
                b.output(name, values[name], description)
            return
        tenant = b.values.need("tenant")
        b.output(
            "database_login", tenant.login_role, "The database user the tenant's code logs in as"
        )
        if self.kind == "pooled":
            b.output(
                "storage_prefix",
                tenant_prefix(tenant.tenant),
                "The tenant's prefix in the pool's bucket",
            )
        else:
            b.output("key_id", b.key_arn, "The tenant's Vault key")
            b.output(
                "database_host",
                built.database.ref("network_details[0].primary_db_endpoint_private_ip"),
                "Private address of the tenant's database",
            )
            b.output("bucket_name", built.storage.ref("name"), "The tenant's bucket")
        if built.limits is not None:
            b.output("api_usage_plan_id", built.limits, "The tenant's usage plan")
