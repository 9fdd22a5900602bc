"""How a database is sized, in three forms a pool or a plan may combine.

* `size: {vcpu, memoryGb}` is cloud-neutral: each cloud maps it through its reviewed SKU
  table (compiler.clouds, data/skus.json) to the smallest SKU at least that large;
* `sku: {azure: ..., gcp: ...}` pins one SKU per cloud, over the size on that cloud;
* `instanceClass` is the RDS class, as before clouds existed: the same as `sku.aws`.

At least one form is written; `instanceClass` and `sku.aws` are not both. Which SKU a pool
or tenant gets on its cloud is decided in `compiler.resolve.clouds`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, model_validator

from compiler.dsl.common import WHOLE, FieldError, InstanceClass, Model

SkuName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]


class Size(Model):
    vcpu: Annotated[
        int,
        Field(ge=1, le=128, description="vCPUs of the database server: 1 to 128."),
        WHOLE,
    ]
    memory_gb: Annotated[
        float,
        Field(ge=1, le=4096, description="Memory of the database server in GB: 1 to 4,096."),
    ]


class Sku(Model):
    """One pinned SKU per cloud; the spelling of each is checked in resolve."""

    aws: SkuName | None = None
    azure: SkuName | None = None
    gcp: SkuName | None = None
    oci: SkuName | None = None
    ibm: SkuName | None = None


_STRING: dict[str, Any] = {"type": "string"}
_OBJECT: dict[str, Any] = {"type": "object"}
# `instanceClass`, `size` or `sku` written (not null), at least one; not `instanceClass`
# with `sku.aws`. `Sizing._one_form_at_least` says the same in Python.
SIZING_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"required": ["instanceClass"], "properties": {"instanceClass": _STRING}},
        {"required": ["size"], "properties": {"size": _OBJECT}},
        {"required": ["sku"], "properties": {"sku": _OBJECT}},
    ],
    "not": {
        "required": ["instanceClass", "sku"],
        "properties": {
            "instanceClass": _STRING,
            "sku": {**_OBJECT, "required": ["aws"], "properties": {"aws": _STRING}},
        },
    },
}


class Sizing(Model):
    """The sizing fields a database shares in a pool and in a plan."""

    model_config = ConfigDict(json_schema_extra=SIZING_SCHEMA)

    instance_class: InstanceClass | None = None
    size: Size | None = None
    sku: Sku | None = None

    @model_validator(mode="after")
    def _one_form_at_least(self) -> Sizing:
        if self.instance_class is None and self.size is None and self.sku is None:
            raise FieldError(
                "a database needs a size: write size: {vcpu, memoryGb}, sku: {<cloud>: ...} "
                "or instanceClass (AWS)",
                "size",
            )
        if self.instance_class is not None and self.sku is not None and self.sku.aws is not None:
            raise FieldError(
                "instanceClass and sku.aws both pin the AWS class; keep one",
                "sku",
                "aws",
            )
        return self
