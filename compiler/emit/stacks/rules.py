"""What a cloud's driver declares besides its components: its provider, the resource and
data source types it may emit (each checked against the committed schema), and the aspects
every one of its modules gets (tags, encryption at rest, protection of data stores)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from compiler.emit.stacks import aspects
from compiler.emit.stacks.provider import AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION


@dataclass(frozen=True)
class CloudRules:
    cloud: str
    provider: str  # the provider's local name in `required_providers` and `provider`
    source: str
    version: str
    resource_types: frozenset[str]
    data_source_types: frozenset[str]
    # The aspects of a module under construction (a `StackBuilder`), in the order they run.
    aspects: Callable[[Any], Sequence[Any]]


def _aws_aspects(b: Any) -> list[Any]:
    return [
        aspects.Tagging(b.tags),
        aspects.Encryption(b.key_arn),
        aspects.DataProtection(b.confirm_destroy),
    ]


AWS_RULES = CloudRules(
    cloud="aws",
    provider="aws",
    source=AWS_PROVIDER_SOURCE,
    version=AWS_PROVIDER_VERSION,
    resource_types=aspects.RESOURCE_TYPES,
    data_source_types=frozenset(
        {
            "aws_availability_zones",
            "aws_caller_identity",
            "aws_iam_policy_document",
            "aws_partition",
            "aws_service_principal",
        }
    ),
    aspects=_aws_aspects,
)
