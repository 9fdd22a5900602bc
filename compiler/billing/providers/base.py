"""What every provider does: verify a delivery on its raw body, read the verified event, fetch
one subscription and list them all. One small module per provider implements it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import orjson

from compiler.billing.config import ProviderSettings
from compiler.billing.model import Malformed, Notice, Snapshot

Headers = Mapping[str, str]


class Provider(ABC):
    type: ClassVar[str]
    relevant: ClassVar[frozenset[str]]  # event types that can change a subscription

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self.name = settings.name

    @abstractmethod
    def verify(self, body: bytes, headers: Headers) -> None:
        """Raise Refused unless `body` is signed by the provider (and recent, where the
        provider signs a time). Runs before anything parses the body."""

    @abstractmethod
    def read(self, body: bytes, headers: Headers, received: str) -> Notice:
        """The verified event's id, type, subscription and time; Malformed otherwise."""

    @abstractmethod
    def fetch(self, subscription: str) -> Snapshot:
        """The subscription now; NotFound, or ProviderUnavailable after the retries."""

    @abstractmethod
    def subscriptions(self) -> Iterator[Snapshot]:
        """Every subscription the provider has (for reconcile)."""

    def tenant_of(self, data: Mapping[str, Any]) -> str | None:
        """The value at `tenantKey`, a dotted path into the subscription."""
        node: Any = data
        for part in self.settings.tenant_key.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        return node if isinstance(node, str) and node else None


def json_object(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"the body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise Malformed("the body is not a JSON object")
    return data


def text_field(data: Mapping[str, Any], key: str, where: str = "the event") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise Malformed(f"{where} has no '{key}'")
    return value


def header(headers: Headers, name: str) -> str | None:
    """A header, by name in any case (servers lower-case them; tests may not)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
