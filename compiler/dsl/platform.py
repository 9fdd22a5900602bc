"""Platform: the one document that says where everything runs and which pools are shared."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from compiler.dsl.common import (
    AZURE_RESOURCE_GROUP_PATTERN,
    BUCKET_PATTERN,
    CONTAINER_PATTERN,
    DATABASE_NAME_PATTERN,
    ENDPOINT_PATTERN,
    GCP_PROJECT_PATTERN,
    IBM_RESOURCE_GROUP_PATTERN,
    KEY_PREFIX_PATTERN,
    LOCK_TABLE_PATTERN,
    OCI_NAMESPACE_PATTERN,
    OCID_PATTERN,
    STATE_PATH_PATTERN,
    STORAGE_ACCOUNT_PATTERN,
    UNIQUE,
    UNIQUE_ITEMS,
    UUID_PATTERN,
    WHOLE,
    Cidr,
    Cloud,
    DatabaseStorage,
    Document,
    FieldError,
    Model,
    Name,
    PostgresVersion,
    Region,
    SqlIdentifier,
)
from compiler.dsl.confirm import Addresses
from compiler.dsl.sizing import Sizing


class LocalBackend(Model):
    type: Literal["local"]
    # Relative to each stack's folder; absolute paths would leak the build machine into output.
    path: Annotated[str, Field(pattern=STATE_PATH_PATTERN)] = "terraform.tfstate"


_S3_ON_AWS: dict[str, Any] = {
    "if": {"not": {"required": ["endpoint"], "properties": {"endpoint": {"type": "string"}}}},
    "then": {
        "required": ["region", "lockTable"],
        "properties": {"region": {"type": "string"}, "lockTable": {"type": "string"}},
    },
}


class S3Backend(Model):
    """AWS S3 (region and DynamoDB lock table), or S3-compatible storage at `endpoint`
    (IBM Cloud Object Storage, OCI Object Storage's S3 API), which has no lock table."""

    model_config = ConfigDict(json_schema_extra=_S3_ON_AWS)

    type: Literal["s3"]
    bucket: Annotated[str, Field(pattern=BUCKET_PATTERN)]
    region: Region | None = None
    lock_table: Annotated[str, Field(pattern=LOCK_TABLE_PATTERN)] | None = None
    key_prefix: Annotated[str, Field(pattern=KEY_PREFIX_PATTERN)] = ""
    endpoint: Annotated[str, Field(pattern=ENDPOINT_PATTERN)] | None = None

    @model_validator(mode="after")
    def _aws_needs_region_and_lock_table(self) -> S3Backend:
        if self.endpoint is None:
            for name, value in (("region", self.region), ("lockTable", self.lock_table)):
                if value is None:
                    raise FieldError(
                        f"missing required field '{name}': an s3 backend without an endpoint "
                        "is AWS S3, with a region and a DynamoDB lock table",
                        name,
                    )
        return self


class S3CompatibleBackend(Model):
    """S3-compatible object storage of another cloud (IBM Cloud Object Storage, OCI Object
    Storage's S3 API) at `endpoint`; state is locked with a lock file in the bucket."""

    type: Literal["s3"]
    bucket: Annotated[str, Field(pattern=BUCKET_PATTERN)]
    endpoint: Annotated[str, Field(pattern=ENDPOINT_PATTERN)]
    region: Region | None = None
    key_prefix: Annotated[str, Field(pattern=KEY_PREFIX_PATTERN)] = ""


class AzurermBackend(Model):
    """An Azure storage account's blob container."""

    type: Literal["azurerm"]
    resource_group: Annotated[str, Field(pattern=AZURE_RESOURCE_GROUP_PATTERN)]
    storage_account: Annotated[str, Field(pattern=STORAGE_ACCOUNT_PATTERN)]
    container: Annotated[str, Field(pattern=CONTAINER_PATTERN)]
    key_prefix: Annotated[str, Field(pattern=KEY_PREFIX_PATTERN)] = ""


class GcsBackend(Model):
    """A Google Cloud Storage bucket."""

    type: Literal["gcs"]
    bucket: Annotated[str, Field(pattern=BUCKET_PATTERN)]
    key_prefix: Annotated[str, Field(pattern=KEY_PREFIX_PATTERN)] = ""


class OciBackend(Model):
    """An OCI Object Storage bucket through Terraform's own `oci` backend (Terraform 1.12+)."""

    type: Literal["oci"]
    bucket: Annotated[str, Field(pattern=BUCKET_PATTERN)]
    namespace: Annotated[str, Field(pattern=OCI_NAMESPACE_PATTERN)]
    key_prefix: Annotated[str, Field(pattern=KEY_PREFIX_PATTERN)] = ""


StateBackend = Annotated[
    LocalBackend | S3Backend | AzurermBackend | GcsBackend | OciBackend,
    Field(discriminator="type"),
]


class PlatformDatabase(Model):
    name: Annotated[str, Field(pattern=DATABASE_NAME_PATTERN)]
    tenant_column: SqlIdentifier = "tenant_id"


class Network(Model):
    cidr: Cidr


class PoolDatabase(Sizing):
    engine: Literal["postgres"]
    version: PostgresVersion
    storage_gb: DatabaseStorage


class Pool(Model):
    name: Name
    cloud: Cloud | None = None  # default: the platform's `cloud`
    region: Region
    network: Network
    database: PoolDatabase
    # Resources of the pool's stack that may be deleted or replaced, confirmed in review.
    confirm_destroy: Addresses = Field(default_factory=list)


class SiloNetworks(Model):
    """The range silo tenants' networks are allocated from, and the size of each."""

    cidr: Cidr
    prefix_length: Annotated[int, Field(ge=16, le=24), WHOLE] = 20


Regions = Annotated[list[Region], UNIQUE, Field(min_length=1, json_schema_extra=UNIQUE_ITEMS)]


class AwsCloud(Model):
    """AWS when it is not the platform's default cloud (the account is the credentials')."""

    regions: Regions | None = None
    state_backend: Annotated[LocalBackend | S3Backend, Field(discriminator="type")] | None = None


class AzureCloud(Model):
    regions: Regions | None = None
    subscription_id: Annotated[str, Field(pattern=UUID_PATTERN)]
    tenant_id: Annotated[str, Field(pattern=UUID_PATTERN)]
    state_backend: Annotated[LocalBackend | AzurermBackend, Field(discriminator="type")] | None = (
        None
    )


class GcpCloud(Model):
    regions: Regions | None = None
    project: Annotated[str, Field(pattern=GCP_PROJECT_PATTERN)]
    state_backend: Annotated[LocalBackend | GcsBackend, Field(discriminator="type")] | None = None


class OciCloud(Model):
    regions: Regions | None = None
    compartment_id: Annotated[str, Field(pattern=OCID_PATTERN)]
    state_backend: (
        Annotated[LocalBackend | OciBackend | S3CompatibleBackend, Field(discriminator="type")]
        | None
    ) = None


class IbmCloud(Model):
    regions: Regions | None = None
    resource_group: Annotated[str, Field(pattern=IBM_RESOURCE_GROUP_PATTERN)]
    state_backend: (
        Annotated[LocalBackend | S3CompatibleBackend, Field(discriminator="type")] | None
    ) = None


class Clouds(Model):
    """Each cloud the platform uses besides its default one: account, regions, state.

    The default cloud (`spec.cloud`) keeps `spec.regions` and `spec.stateBackend`; its entry
    here, when it needs one (every cloud but AWS), holds only its account.
    """

    aws: AwsCloud | None = None
    azure: AzureCloud | None = None
    gcp: GcpCloud | None = None
    oci: OciCloud | None = None
    ibm: IbmCloud | None = None


class PlatformSpec(Model):
    cloud: Cloud
    regions: Regions
    state_backend: StateBackend = Field(default_factory=lambda: LocalBackend(type="local"))
    clouds: Clouds = Field(default_factory=Clouds)
    database: PlatformDatabase
    pools: list[Pool] = Field(default_factory=list)
    silo_networks: SiloNetworks | None = None


class Platform(Document):
    kind: Literal["Platform"]
    spec: PlatformSpec
