"""The IBM Cloud driver: the components as a VPC, Databases for PostgreSQL, Key Protect,
Cloud Object Storage, Secrets Manager and Code Engine (docs/clouds.md).

Every stack lives in the platform's resource group (`clouds.ibm.resourceGroup`). Tenants
read their pool's parts from its outputs (`POOL_OUTPUTS`), through remote state, like on
every cloud. IBM Cloud has no API product with per-consumer quotas: a tenant whose limits
need one is refused before anything is built (`compiler.resolve.clouds.MISSING_PARTS`), and
its services are reached at their Code Engine apps' private endpoints.
"""

from __future__ import annotations

from typing import Any

from compiler.emit.stacks.builder import StackBuilder
from compiler.emit.stacks.cdk import Resource
from compiler.emit.stacks.clouds.ibm import data
from compiler.emit.stacks.clouds.ibm import identity as who
from compiler.emit.stacks.clouds.ibm import network as net
from compiler.emit.stacks.clouds.ibm.rules import IBM_RULES
from compiler.emit.stacks.components import Built, Components
from compiler.emit.stacks.parts.access import tenant_prefix

__all__ = ["IBM_RULES", "POOL_OUTPUTS", "IbmComponents"]

POOL_OUTPUTS = (
    ("vpc_id", "The pool's VPC"),
    ("workload_subnet_id", "Subnet of the services"),
    ("database_subnet_id", "Subnet of the databases"),
    ("database_host", "Private host name of the shared PostgreSQL"),
    ("bucket_name", "The shared bucket; tenants under tenants/<tenant>/"),
    ("storage_instance_id", "The pool's Object Storage instance (its GUID)"),
    ("key_crn", "The pool's Key Protect root key"),
    ("project_id", "The pool's Code Engine project"),
    ("project_crn", "The pool's Code Engine project, as a CRN"),
    ("workload_profile_iam_id", "IAM id of the shared services' trusted profile"),
)
DATABASE_HOST = "connectionstrings[0].hosts[0].hostname"


class IbmComponents(Components):
    def __init__(self, b: StackBuilder) -> None:
        super().__init__(b)
        self.kind = b.shape.kind
        group = dict(b.platform.account_of("ibm"))["resourceGroup"]
        self.resource_group = b.data("resource_group", "ibm_resource_group", {"name": group})
        self.kms: Resource | None = None
        self.storage_service: tuple[Resource, Resource] | None = None

    def _pool(self, output: str) -> str:
        return self.b.pool_output(output)

    def _group(self) -> str:
        return self.resource_group.ref("id")

    def key(self) -> Resource:
        self.kms, stack_key = data.key(self.b, self._group())
        return stack_key

    def _kms(self) -> Resource:
        if self.kms is None:
            raise ValueError(f"{self.b.shape.name}: the stack's key is not built yet")
        return self.kms

    def _cos(self) -> tuple[Resource, Resource]:
        """The stack's Object Storage instance, and its authorization to use the key."""
        if self.storage_service is None:
            cos = data.instance(self.b, "cos", data.STORAGE_SERVICE, "standard", self._group())
            source = {
                "source_service_name": data.STORAGE_SERVICE,
                "source_resource_instance_id": cos.ref("guid"),
            }
            self.storage_service = (cos, data.authorize(self.b, "cos", source, self._kms()))
        return self.storage_service

    def logs(self) -> Resource:
        return data.logs(self.b, *self._cos())

    def network(self, built: Built) -> net.Network:
        return net.network(self.b, self._group())

    def pool_network(self) -> net.Network:
        """Groups of the tenant's own in the pool's VPC: only its service reaches its
        database."""
        vpc = self._pool("vpc_id")
        workload, database = net.groups(self.b, self._group(), vpc)
        return net.Network(
            vpc,
            "",  # Code Engine apps take no subnet
            self._pool("database_subnet_id"),
            "",
            workload.ref("id"),
            database.ref("id"),
        )

    def database(self, built: Built) -> Resource:
        secrets = data.instance(self.b, "secrets", "secrets-manager", "standard", self._group())
        found = data.database(self.b, self._group(), self._kms(), secrets)
        net.endpoint(self.b, self._group(), built.network, found)
        return found

    def storage(self, built: Built) -> Resource:
        name = self.b.values.need("bucket").bucket_base_name
        return data.bucket(self.b, "bucket", name, *self._cos())

    def service_logs(self) -> None:
        """Code Engine sends its apps' logs to the account's IBM Cloud Logs routing; nothing
        of the stack's own to build (a gap, docs/clouds.md)."""
        return

    def compute(self, built: Built) -> Resource:
        return self.b.add(
            "compute",
            "ibm_code_engine_project",
            {"name": self.b.aws_name(), "resource_group_id": self._group()},
        )

    def identity(self, built: Built) -> Resource:
        b = self.b
        profile = who.profile(b)
        iam_id = profile.ref("iam_id")
        if self.kind == "pooled":
            instance, bucket = self._pool("storage_instance_id"), self._pool("bucket_name")
            prefix = tenant_prefix(b.values.need("tenant").tenant)
            who.grant_prefix(b, "identity_policy", iam_id, instance, bucket, prefix)
            project = self._pool("project_crn")
            who.link(b, "identity_link", profile.ref("id"), project, who.SHARED_APP)
            return profile
        cos, _ = self._cos()
        bucket = built.storage.ref("bucket_name")
        who.grant(b, "identity_policy", iam_id, cos.ref("guid"), bucket)
        if self.kind == "pool":
            project = built.compute.ref("crn")
            who.link(b, "identity_link", profile.ref("id"), project, who.SHARED_APP)
        if self.kind == "bridge" and b.shape.workload == "shared":
            shared = self._pool("workload_profile_iam_id")
            who.grant(b, "shared_policy", shared, cos.ref("guid"), bucket)
        return profile

    def service(self, built: Built) -> None:
        b = self.b
        if self.kind == "silo":
            project_id, project_crn = built.compute.ref("project_id"), built.compute.ref("crn")
        else:
            project_id, project_crn = self._pool("project_id"), self._pool("project_crn")
        app = b.add("service", "ibm_code_engine_app", self._app(built, project_id))
        who.link(b, "service_link", built.identity.ref("id"), project_crn, app.ref("name"))

    def _app(self, built: Built, project_id: str) -> dict[str, Any]:
        b = self.b
        service = b.values.need("service")
        tenant = b.values.need("tenant")
        image = b.setting("app_image", "The application's container image (TF_VAR_app_image)")
        env = {
            "PAYBILL_TENANT": tenant.tenant,
            "PAYBILL_DATABASE_HOST": built.database.ref(DATABASE_HOST),
            "PAYBILL_DATABASE_NAME": b.platform.database_name,
            "PAYBILL_DATABASE_USER": tenant.login_role,
            "PAYBILL_DATABASE_ROLE": service.app_role,
            "PAYBILL_BUCKET": built.storage.ref("bucket_name"),
        }
        return {
            "project_id": project_id,
            "name": b.name,
            "image_reference": image,
            # A suspended tenant's app keeps no instance and is reachable from nowhere
            # outside its project (`local`); a running one on the private network only.
            "managed_domain_mappings": '${var.service_max_tasks == 0 ? "local" : "local_private"}',
            "scale_min_instances": "${var.service_min_tasks}",
            "scale_max_instances": "${max(var.service_max_tasks, 1)}",
            "scale_cpu_limit": "${tostring(var.task_cpu / 1024)}",
            "scale_memory_limit": "${var.task_memory}M",
            "run_as_user": 1000,
            "run_compute_resource_token_enabled": True,  # how it assumes its trusted profile
            "run_env_variables": [
                {"type": "literal", "name": name, "value": value}
                for name, value in sorted(env.items())
            ],
        }

    def api(self, built: Built) -> None:
        """IBM Cloud has no API product with quotas: the services are reached at their
        apps' private endpoints, and no API of the stack's own is built."""
        return

    def limits(self, built: Built) -> None:
        if self.b.shape.api == "limited":
            raise ValueError(f"{self.b.shape.name}: IBM Cloud has no API product with quotas")

    def outputs(self, built: Built) -> None:
        b = self.b
        if self.kind == "pool":
            where: net.Network = built.network
            values: dict[str, Any] = {
                "vpc_id": where.vpc_id,
                "workload_subnet_id": where.workload_subnet_id,
                "database_subnet_id": where.database_subnet_id,
                "database_host": built.database.ref(DATABASE_HOST),
                "bucket_name": built.storage.ref("bucket_name"),
                "storage_instance_id": self._cos()[0].ref("guid"),
                "key_crn": b.key_arn,
                "project_id": built.compute.ref("project_id"),
                "project_crn": built.compute.ref("crn"),
                "workload_profile_iam_id": built.identity.ref("iam_id"),
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
            return
        b.output("key_crn", b.key_arn, "The tenant's Key Protect root key")
        b.output(
            "database_host",
            built.database.ref(DATABASE_HOST),
            "Private host name of the tenant's database",
        )
        b.output("bucket_name", built.storage.ref("bucket_name"), "The tenant's bucket")
