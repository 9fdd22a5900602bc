"""Platform: the one document that says where everything runs and which pools are shared."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from compiler.dsl.common import (
    BUCKET_PATTERN,
    DATABASE_NAME_PATTERN,
    KEY_PREFIX_PATTERN,
    LOCK_TABLE_PATTERN,
    STATE_PATH_PATTERN,
    UNIQUE,
    UNIQUE_ITEMS,
    WHOLE,
    Cidr,
    DatabaseStorage,
    Document,
    InstanceClass,
    Model,
    Name,
    PostgresVersion,
    Region,
    SqlIdentifier,
)
from compiler.dsl.confirm import Addresses


class LocalBackend(Model):
    type: Literal["local"]
    # Relative to each stack's folder; absolute paths would leak the build machine into output.
    path: Annotated[str, Field(pattern=STATE_PATH_PATTERN)] = "terraform.tfstate"


class S3Backend(Model):
    type: Literal["s3"]
    bucket: Annotated[str, Field(pattern=BUCKET_PATTERN)]
    region: Region
    lock_table: Annotated[str, Field(pattern=LOCK_TABLE_PATTERN)]
    key_prefix: Annotated[str, Field(pattern=KEY_PREFIX_PATTERN)] = ""


StateBackend = Annotated[LocalBackend | S3Backend, Field(discriminator="type")]


class PlatformDatabase(Model):
    name: Annotated[str, Field(pattern=DATABASE_NAME_PATTERN)]
    tenant_column: SqlIdentifier = "tenant_id"


class Network(Model):
    cidr: Cidr


class PoolDatabase(Model):
    engine: Literal["postgres"]
    version: PostgresVersion
    instance_class: InstanceClass
    storage_gb: DatabaseStorage


class Pool(Model):
    name: Name
    region: Region
    network: Network
    database: PoolDatabase
    # Resources of the pool's stack that may be deleted or replaced, confirmed in review.
    confirm_destroy: Addresses = Field(default_factory=list)


class SiloNetworks(Model):
    """The range silo tenants' networks are allocated from, and the size of each."""

    cidr: Cidr
    prefix_length: Annotated[int, Field(ge=16, le=24), WHOLE] = 20


class PlatformSpec(Model):
    cloud: Literal["aws"]
    regions: Annotated[list[Region], UNIQUE, Field(min_length=1, json_schema_extra=UNIQUE_ITEMS)]
    state_backend: StateBackend = Field(default_factory=lambda: LocalBackend(type="local"))
    database: PlatformDatabase
    pools: list[Pool] = Field(default_factory=list)
    silo_networks: SiloNetworks | None = None


class Platform(Document):
    kind: Literal["Platform"]
    spec: PlatformSpec
