"""Shared building blocks of the DSL: the base model, constrained strings, the envelope.

The pydantic models here hold only what a JSON Schema can also say (types, patterns, enums,
required/forbidden fields, uniqueness, exactly-one-of). Rules that span documents or need
arithmetic live in `compiler.resolve`. That split is what lets the committed JSON Schemas
and pydantic agree on every document, which a test checks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from compiler import homes

API_VERSION = "paybill.dev/v1"

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"
SQL_IDENTIFIER_PATTERN = r"^[a-z_][a-z0-9_-]{0,62}$"
FEATURE_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"
# Any cloud's spelling ('eu-central-1', 'westeurope', 'europe-west1', 'eu-de'); the names
# themselves are checked against each cloud's list in `compiler.resolve.clouds`.
REGION_PATTERN = r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$"
CIDR_PATTERN = r"^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$"
# Spelled out instead of `\s`, whose meaning differs between regex engines.
EMAIL_PATTERN = r"^[^@\x00-\x20\x7f]+@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]+$"
LABEL_KEY_PATTERN = r"^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$"
INSTANCE_CLASS_PATTERN = r"^db\.[a-z0-9]+\.[a-z0-9]+$"
POSTGRES_VERSION_PATTERN = r"^1[3-7](\.[0-9]+)?$"
CRON_PATTERN = (
    r"^(@(hourly|daily|weekly|monthly|yearly)"
    r"|[0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9A-Za-z*/,-]+ [0-9A-Za-z*/,-]+)$"
)
EVENT_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$"
# Column types are an allow-list: a type cannot be quoted like an identifier, so only these
# exact spellings ever reach SQL.
COLUMN_TYPE_PATTERN = (
    r"^(text|uuid|boolean|smallint|integer|bigint|real|double precision|date|timestamptz"
    r"|timestamp|jsonb|bytea|inet|numeric|numeric\([1-9][0-9]{0,2}(, ?[0-9]{1,3})?\)"
    r"|varchar\([1-9][0-9]{0,4}\))$"
)
# Relative, and no segment starts with '.': no '..' that would let every stack share a file.
STATE_PATH_PATTERN = r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$"
# The application database RDS creates: a letter, then letters, digits and '_'.
DATABASE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
BUCKET_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
LOCK_TABLE_PATTERN = r"^[A-Za-z0-9_.-]{3,255}$"
KEY_PREFIX_PATTERN = r"^[A-Za-z0-9!_.*'()/-]*$"
# Further clouds' accounts and state backends (compiler.dsl.platform.Clouds).
ENDPOINT_PATTERN = r"^https://[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?/?$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
GCP_PROJECT_PATTERN = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"
OCID_PATTERN = r"^ocid1\.(compartment|tenancy)\.oc[0-9]+\.[a-z0-9-]*\.[a-z0-9]+$"
OCI_NAMESPACE_PATTERN = r"^[a-z0-9]{1,64}$"
IBM_RESOURCE_GROUP_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
AZURE_RESOURCE_GROUP_PATTERN = r"^[A-Za-z0-9_.()-]{0,89}[A-Za-z0-9_()-]$"
STORAGE_ACCOUNT_PATTERN = r"^[a-z0-9]{3,24}$"
CONTAINER_PATTERN = r"^[a-z0-9]([a-z0-9]|-[a-z0-9]){1,61}[a-z0-9]?$"
# A database the compiler manages (a SQL target) and a Terraform resource address.
TARGET_PATTERN = r"^(pool|tenant)-[a-z][a-z0-9-]{0,38}[a-z0-9]$"
# A tenant's home, as a migration names it (compiler.homes).
HOME_PATTERN = homes.HOME_PATTERN
ADDRESS_PATTERN = r"^aws_[a-z0-9_]+\.[a-z][a-z0-9_]*$"
# Billing: an environment variable's name, a provider's price or plan code, a dotted path
# into a provider's subscription, a provider's subscription or event id, a UTC time.
ENV_VAR_PATTERN = r"^[A-Z_][A-Z0-9_]{0,127}$"
PRICE_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
TENANT_KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$"
BILLING_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$"
UTC_TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"

# What a pattern means, in words, for "must be ..." messages.
PATTERN_MEANING: dict[str, str] = {
    NAME_PATTERN: (
        "2-40 characters of lowercase letters, digits and '-', "
        "starting with a letter and not ending with '-'"
    ),
    SQL_IDENTIFIER_PATTERN: (
        "a lowercase SQL identifier: letters, digits, '_' and '-', "
        "starting with a letter or '_', at most 63 characters"
    ),
    FEATURE_PATTERN: "lowercase letters, digits and '-', starting with a letter",
    REGION_PATTERN: "a region name such as 'eu-central-1', 'westeurope' or 'europe-west1'",
    CIDR_PATTERN: "an IPv4 CIDR block such as '10.10.0.0/16'",
    EMAIL_PATTERN: "an e-mail address",
    LABEL_KEY_PATTERN: "a label key: lowercase letters, digits, '.', '_', '/' and '-'",
    INSTANCE_CLASS_PATTERN: "an RDS instance class such as 'db.r6g.large'",
    CRON_PATTERN: "a five-field cron schedule such as '0 9 * * *', or @hourly/@daily/...",
    EVENT_PATTERN: "a dotted event name such as 'invoice.overdue'",
    POSTGRES_VERSION_PATTERN: 'a PostgreSQL major version from 13 to 17, as text: "15"',
    COLUMN_TYPE_PATTERN: (
        "one of the column types text, uuid, boolean, smallint, integer, bigint, real, "
        "double precision, date, timestamptz, timestamp, jsonb, bytea, inet, numeric, "
        "numeric(P) or numeric(P,S), varchar(N)"
    ),
    STATE_PATH_PATTERN: (
        "a relative file path such as 'terraform.tfstate' (no segment may start with '.')"
    ),
    DATABASE_NAME_PATTERN: (
        "a database name RDS accepts: a lowercase letter, then lowercase letters, digits "
        "and '_', at most 63 characters"
    ),
    BUCKET_PATTERN: "an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'",
    LOCK_TABLE_PATTERN: "a DynamoDB table name: 3-255 letters, digits, '_', '.' and '-'",
    KEY_PREFIX_PATTERN: "an S3 key prefix: letters, digits and !_.*'()/-",
    ENDPOINT_PATTERN: "an https:// URL of a host (and port), such as "
    "'https://s3.eu-de.cloud-object-storage.appdomain.cloud'",
    UUID_PATTERN: "a lowercase UUID such as '00000000-0000-0000-0000-000000000000'",
    GCP_PROJECT_PATTERN: "a Google Cloud project id: 6-30 lowercase letters, digits and '-'",
    OCID_PATTERN: "a compartment or tenancy OCID such as 'ocid1.compartment.oc1..aaaa'",
    OCI_NAMESPACE_PATTERN: "an Object Storage namespace: lowercase letters and digits",
    IBM_RESOURCE_GROUP_PATTERN: "a resource group name: letters, digits, '_', '.' and '-'",
    AZURE_RESOURCE_GROUP_PATTERN: "an Azure resource group name",
    STORAGE_ACCOUNT_PATTERN: "a storage account name: 3-24 lowercase letters and digits",
    CONTAINER_PATTERN: "a blob container name: 3-63 lowercase letters, digits and single '-'",
    TARGET_PATTERN: "a database as paybill names it: pool-<pool> or tenant-<tenant>",
    HOME_PATTERN: (
        "a tenant's home: pooled/<pool>, bridge/<pool> or silo/<cloud>/<region>, "
        "such as 'bridge/eu-shared' or 'silo/aws/eu-central-1'"
    ),
    ADDRESS_PATTERN: "a resource address of the stack, such as 'aws_db_instance.database'",
    ENV_VAR_PATTERN: (
        "the name of an environment variable: uppercase letters, digits and '_', "
        "such as PAYBILL_STRIPE_WEBHOOK_SECRET"
    ),
    PRICE_CODE_PATTERN: "a provider's price or plan code: letters, digits, '_', '.', ':' and '-'",
    TENANT_KEY_PATTERN: "a dotted path into the subscription, such as metadata.paybill_tenant",
    BILLING_ID_PATTERN: "a provider's id, such as sub_1Ab2C3: letters, digits, '_', '.', ':', '-'",
    UTC_TIME_PATTERN: 'a UTC time in RFC 3339, quoted: "2026-01-31T09:00:00Z"',
}

T = TypeVar("T")


class FieldError(ValueError):
    """A rule of a whole model that is best shown at one of its fields.

    Raised from a model validator; `field` is the path below the model, as written in YAML
    (`("resources", "network")`), and the diagnostic points there instead of at the model.
    """

    def __init__(self, message: str, *field: str) -> None:
        super().__init__(message)
        self.field = field


def _unique(items: list[T]) -> list[T]:
    seen: set[Any] = set()
    for item in items:
        if item in seen:
            raise ValueError(f"'{item}' is listed more than once")
        seen.add(item)
    return items


UNIQUE = AfterValidator(_unique)
UNIQUE_ITEMS: dict[str, Any] = {"uniqueItems": True}

Name = Annotated[str, Field(pattern=NAME_PATTERN)]
SqlIdentifier = Annotated[str, Field(pattern=SQL_IDENTIFIER_PATTERN)]
Feature = Annotated[str, Field(pattern=FEATURE_PATTERN)]
Region = Annotated[str, Field(pattern=REGION_PATTERN)]
Cloud = Literal["aws", "azure", "gcp", "oci", "ibm"]
Cidr = Annotated[str, Field(pattern=CIDR_PATTERN)]
InstanceClass = Annotated[str, Field(pattern=INSTANCE_CLASS_PATTERN)]
PostgresVersion = Annotated[str, Field(pattern=POSTGRES_VERSION_PATTERN)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


def _whole_number(value: Any) -> Any:
    """Read `5.0` as the whole number 5.

    JSON Schema (and so every editor validating against the committed schemas) counts 5.0
    as an integer; strict pydantic would not, and a Literal would keep the float. Both
    agreeing matters more than the spelling, and the model then always holds a real int.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Last in `Annotated`, so bounds stay plain `minimum`/`maximum` in the JSON Schema.
WHOLE = BeforeValidator(_whole_number)
# Whole numbers each get a range: what the provider they reach accepts, or (entitlements)
# one no real plan comes near, with a description that messages show as the reason.
DatabaseStorage = Annotated[
    int,
    Field(
        ge=20,
        le=65536,
        description="Database storage in GiB: 20 to 65,536, what RDS for PostgreSQL allocates.",
    ),
    WHOLE,
]
NameList = Annotated[list[Name], UNIQUE, Field(json_schema_extra=UNIQUE_ITEMS)]


class Model(BaseModel):
    """Base of every DSL model: immutable, strict types, unknown keys rejected, camelCase keys."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
    )


class Metadata(Model):
    name: Name
    labels: dict[
        Annotated[str, Field(pattern=LABEL_KEY_PATTERN)], Annotated[str, Field(max_length=256)]
    ] = Field(
        default_factory=dict,
        # pydantic states the key pattern as `patternProperties`, which lets other keys
        # through; `propertyNames` makes the schema refuse them as the model does.
        json_schema_extra={"propertyNames": {"pattern": LABEL_KEY_PATTERN}},
    )


KindName = Literal[
    "Platform", "Plan", "Tenant", "Table", "Tool", "Agent", "Workflow", "BillingProvider"
]


class Document(Model):
    """The envelope every document shares; each kind narrows `kind` and types `spec`."""

    api_version: Literal["paybill.dev/v1"]
    metadata: Metadata

    @property
    def name(self) -> str:
        return self.metadata.name
