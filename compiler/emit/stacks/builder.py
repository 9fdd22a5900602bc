"""What every stack builder shares: the stack, its provider and backend, names, ARNs,
IAM policy documents, and the last step that applies the aspects and renders the JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from compiler.emit.artifact import canonical_json
from compiler.emit.stacks import naming
from compiler.emit.stacks.aspects import RESOURCE_TYPES, DataProtection, Encryption, Tagging
from compiler.emit.stacks.backend import configure_backend
from compiler.emit.stacks.cdk import (
    Aspects,
    AwsProvider,
    DataSource,
    Resource,
    new_stack,
    synthesize,
)
from compiler.emit.stacks.inputs import PlatformFacts

MANAGED_BY = "paybill"
# Every data source the builders read; like RESOURCE_TYPES, checked against the provider.
DATA_SOURCE_TYPES: frozenset[str] = frozenset(
    {
        "aws_availability_zones",
        "aws_caller_identity",
        "aws_iam_policy_document",
        "aws_partition",
        "aws_service_principal",
    }
)


@dataclass(frozen=True)
class Statement:
    """One statement of an IAM policy, rendered through `aws_iam_policy_document` so that a
    reviewer reads actions, resources and conditions as structured JSON in the diff."""

    sid: str
    actions: Sequence[str]
    resources: Sequence[str] = ()  # none in trust policies, which name principals instead
    principals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    conditions: Sequence[tuple[str, str, Sequence[str]]] = ()  # (test, variable, values)
    effect: Literal["Allow", "Deny"] = "Allow"

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sid": self.sid,
            "effect": self.effect,
            "actions": sorted(self.actions),
        }
        if self.resources:
            out["resources"] = list(self.resources)
        if self.principals:
            out["principals"] = [
                {"type": kind, "identifiers": list(ids)}
                for kind, ids in sorted(self.principals.items())
            ]
        if self.conditions:
            out["condition"] = [
                {"test": test, "variable": variable, "values": list(values)}
                for test, variable, values in self.conditions
            ]
        return out


class StackBuilder:
    """One stack under construction; `finish()` returns its `cdk.tf.json` bytes."""

    def __init__(
        self,
        name: str,
        region: str,
        platform: PlatformFacts,
        tags: Mapping[str, str],
        confirm_destroy: tuple[str, ...] = (),
    ) -> None:
        self.confirm_destroy = confirm_destroy
        self.name = name
        self.region = region
        self.platform = platform
        self.stack = new_stack(name)
        AwsProvider(self.stack, region)
        configure_backend(self.stack, platform.backend, name)
        self.tags = {"managed-by": MANAGED_BY, "platform": platform.name, **tags}
        self.key_arn: str | None = None
        self._data: dict[str, DataSource] = {}

    # -- resources ----------------------------------------------------------------------
    def add(
        self,
        id: str,
        type: str,
        attributes: Mapping[str, Any],
        *,
        ignore_changes: Sequence[str] = (),
        depends_on: Sequence[Resource] = (),
        create_before_destroy: bool = False,
    ) -> Resource:
        if type not in RESOURCE_TYPES:
            raise ValueError(f"resource type {type} is not in aspects.RESOURCE_TYPES")
        return Resource(
            self.stack,
            id,
            type,
            attributes,
            ignore_changes=ignore_changes,
            depends_on=depends_on,
            create_before_destroy=create_before_destroy,
        )

    def data(self, id: str, type: str, attributes: Mapping[str, Any] | None = None) -> DataSource:
        """A data source, declared once per stack however often it is asked for."""
        if type not in DATA_SOURCE_TYPES:
            raise ValueError(f"data source {type} is not in DATA_SOURCE_TYPES")
        wanted = dict(attributes or {})
        known = self._data.get(id)
        if known is None:
            known = self._data[id] = DataSource(self.stack, id, type, wanted)
        elif (known.type, known.attributes) != (type, wanted):
            raise ValueError(f"data source '{id}' is declared twice, differently")
        return known

    def policy(self, id: str, statements: Sequence[Statement]) -> str:
        """The JSON of an IAM policy document made of `statements`."""
        document = self.data(
            id,
            "aws_iam_policy_document",
            {"version": "2012-10-17", "statement": [s.render() for s in statements]},
        )
        return document.ref("json")

    # -- names and ARNs ------------------------------------------------------------------
    def aws_name(self, suffix: str = "", limit: int = naming.GENERAL_MAX) -> str:
        """`<platform>-<stack>[-<suffix>]`, cut to `limit` the way `naming.fit` does."""
        return naming.fit(naming.joined(self.platform.name, self.name, suffix), limit)

    @property
    def partition(self) -> str:
        return self.data("partition", "aws_partition").ref("partition")

    @property
    def dns_suffix(self) -> str:
        return self.data("partition", "aws_partition").ref("dns_suffix")

    @property
    def reverse_dns_prefix(self) -> str:
        """`com.amazonaws` (or the partition's own), the start of VPC endpoint names."""
        return self.data("partition", "aws_partition").ref("reverse_dns_prefix")

    @property
    def account_id(self) -> str:
        return self.data("account", "aws_caller_identity").ref("account_id")

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    def service_principal(self, service: str) -> str:
        return f"{service}.{self.dns_suffix}"

    # -- the end ------------------------------------------------------------------------
    def finish(self) -> bytes:
        aspects = Aspects.of(self.stack)
        aspects.add(Tagging(self.tags))
        aspects.add(Encryption(self.key_arn))
        aspects.add(DataProtection(self.confirm_destroy))
        return canonical_json(synthesize(self.stack))
