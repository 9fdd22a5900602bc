"""Stripe: `Stripe-Signature` (`t=…,v1=…`, HMAC-SHA256 over `"{t}.{body}"`, 300 s tolerance)
checked by the official SDK; subscriptions fetched and listed through its client, which
retries with backoff."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import stripe as sdk

from compiler.billing import times
from compiler.billing.config import ProviderSettings
from compiler.billing.model import (
    NOT_STARTED,
    Malformed,
    NotFound,
    Notice,
    ProviderUnavailable,
    Refused,
    Snapshot,
)
from compiler.billing.providers.base import Headers, Provider, header, json_object, text_field

TOLERANCE_SECONDS = 300
STATUS = {
    "trialing": "trialing",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "unpaid",
    "paused": "paused",
    "canceled": "canceled",
    "incomplete_expired": "canceled",
    "incomplete": NOT_STARTED,
}


class Stripe(Provider):
    type = "stripe"
    relevant = frozenset(
        {
            "customer.subscription.created",
            "customer.subscription.updated",
            "customer.subscription.deleted",
            "customer.subscription.paused",
            "customer.subscription.resumed",
            "customer.subscription.pending_update_applied",
            "customer.subscription.pending_update_expired",
            "customer.subscription.trial_will_end",
            "invoice.paid",
            "invoice.payment_failed",
            "invoice.payment_succeeded",
            "invoice.marked_uncollectible",
        }
    )

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self._client: sdk.StripeClient | None = None

    def verify(self, body: bytes, headers: Headers) -> None:
        signature = header(headers, "Stripe-Signature")
        if not signature:
            raise Refused("no Stripe-Signature header")
        try:
            sdk.WebhookSignature.verify_header(
                body.decode("utf-8"), signature, self.settings.webhook_secret(), TOLERANCE_SECONDS
            )
        except UnicodeDecodeError:
            raise Refused("the body is not UTF-8") from None
        except sdk.SignatureVerificationError as exc:
            raise Refused(f"Stripe-Signature does not verify: {exc.user_message}") from None

    def read(self, body: bytes, headers: Headers, received: str) -> Notice:
        data = json_object(body)
        created = data.get("created")
        if not isinstance(created, int):
            raise Malformed("the event has no 'created' time")
        kind = text_field(data, "type")
        inner = data.get("data")
        obj = inner.get("object") if isinstance(inner, dict) else None
        if not isinstance(obj, dict):
            raise Malformed("the event has no data.object")
        return Notice(
            event_id=text_field(data, "id"),
            type=kind,
            subscription=_subscription_of(obj),
            created=times.from_epoch(created),
            relevant=kind in self.relevant,
        )

    def _api(self) -> sdk.StripeClient:
        if self._client is None:
            policy = self.settings.policy
            self._client = sdk.StripeClient(
                self.settings.api_key(),
                base_addresses={"api": self.settings.api_base},
                max_network_retries=policy.retries,
                http_client=sdk.RequestsClient(timeout=policy.timeout),
            )
        return self._client

    def fetch(self, subscription: str) -> Snapshot:
        try:
            found = self._api().v1.subscriptions.retrieve(
                subscription, params={"expand": ["latest_invoice"]}
            )
        except sdk.InvalidRequestError as exc:
            if exc.http_status == 404:
                raise NotFound(f"Stripe has no subscription {subscription}") from None
            raise ProviderUnavailable(f"Stripe refused the request: {exc.user_message}") from None
        except sdk.StripeError as exc:
            raise ProviderUnavailable(_unavailable(exc)) from None
        return self.snapshot(found.to_dict())

    def subscriptions(self) -> Iterator[Snapshot]:
        params: Any = {"status": "all", "limit": 100, "expand": ["data.latest_invoice"]}
        try:
            for found in self._api().v1.subscriptions.list(params=params).auto_paging_iter():
                yield self.snapshot(found.to_dict())
        except sdk.StripeError as exc:
            raise ProviderUnavailable(_unavailable(exc)) from None

    def snapshot(self, data: dict[str, Any]) -> Snapshot:
        raw = str(data.get("status"))
        items = (data.get("items") or {}).get("data") or []
        prices = tuple(str(i["price"]["id"]) for i in items if isinstance(i.get("price"), dict))
        end = next((i.get("current_period_end") for i in items), None)
        end = end or data.get("current_period_end")
        return Snapshot(
            provider=self.name,
            id=str(data.get("id")),
            status=STATUS.get(raw, NOT_STARTED),
            raw_status=raw,
            tenant=self.tenant_of(data),
            prices=prices,
            period_end=times.from_epoch(end) if isinstance(end, int) else None,
            since=_since(data),
        )


def _subscription_of(obj: dict[str, Any]) -> str | None:
    if obj.get("object") == "subscription":
        found = obj.get("id")
    else:  # an invoice: `subscription` before API version 2025-03-31, `parent` after
        found = obj.get("subscription")
        parent = obj.get("parent")
        if found is None and isinstance(parent, dict):
            found = (parent.get("subscription_details") or {}).get("subscription")
    return found if isinstance(found, str) and found else None


def _since(data: dict[str, Any]) -> str | None:
    """When a past-due or unpaid subscription's unpaid invoice was finalized (Stripe charges
    it then: the first failed payment); when a canceled one ended."""
    status = data.get("status")
    if status in ("past_due", "unpaid"):
        invoice = data.get("latest_invoice")
        if isinstance(invoice, dict):
            moments = invoice.get("status_transitions") or {}
            moment = moments.get("finalized_at") or invoice.get("created")
            return times.from_epoch(moment) if isinstance(moment, int) else None
    if status == "canceled":
        moment = data.get("ended_at") or data.get("canceled_at")
        return times.from_epoch(moment) if isinstance(moment, int) else None
    return None


def _unavailable(exc: sdk.StripeError) -> str:
    status = f" (HTTP {exc.http_status})" if exc.http_status else ""
    return f"Stripe's API did not answer usably{status}: {exc.user_message or type(exc).__name__}"
