"""Orb: `X-Orb-Signature` (`v1=` HMAC-SHA256 over `"v1:{X-Orb-Timestamp}:{body}"`, 5 minutes'
tolerance) checked by the official SDK; subscriptions and their invoices fetched through its
client, which retries with backoff."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orb as sdk

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
from compiler.billing.providers.base import Headers, Provider, json_object, text_field

STATUS = {"active": "active", "ended": "canceled", "upcoming": NOT_STARTED}


class Orb(Provider):
    type = "orb"
    relevant = frozenset(
        {
            "subscription.created",
            "subscription.started",
            "subscription.ended",
            "subscription.plan_changed",
            "subscription.plan_change_scheduled",
            "subscription.plan_version_change_scheduled",
            "subscription.edited",
            "invoice.payment_failed",
            "invoice.payment_succeeded",
            "invoice.issued",
        }
    )

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self._verifier: sdk.Orb | None = None
        self._client: sdk.Orb | None = None

    def verify(self, body: bytes, headers: Headers) -> None:
        if self._verifier is None:  # verifying needs no API key
            self._verifier = sdk.Orb(
                api_key="unused", webhook_secret=self.settings.webhook_secret()
            )
        try:
            self._verifier.webhooks.verify_signature(body, dict(headers))
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refused(f"X-Orb-Signature does not verify: {exc}") from None

    def read(self, body: bytes, headers: Headers, received: str) -> Notice:
        data = json_object(body)
        kind = text_field(data, "type")
        try:
            created = times.from_iso(text_field(data, "created_at"))
        except ValueError:
            raise Malformed("the event's created_at is not a time") from None
        return Notice(
            event_id=text_field(data, "id"),
            type=kind,
            subscription=_subscription_of(data),
            created=created,
            relevant=kind in self.relevant,
        )

    def _api(self) -> sdk.Orb:
        if self._client is None:
            policy = self.settings.policy
            self._client = sdk.Orb(
                api_key=self.settings.api_key(),
                base_url=self.settings.api_base,
                max_retries=policy.retries,
                timeout=policy.timeout,
            )
        return self._client

    def fetch(self, subscription: str) -> Snapshot:
        try:
            found = self._api().subscriptions.fetch(subscription)
        except sdk.NotFoundError:
            raise NotFound(f"Orb has no subscription {subscription}") from None
        except sdk.APIError as exc:
            raise ProviderUnavailable(_unavailable(exc)) from None
        return self.snapshot(found.to_dict(mode="json"))

    def subscriptions(self) -> Iterator[Snapshot]:
        try:
            for found in self._api().subscriptions.list(limit=100):
                yield self.snapshot(found.to_dict(mode="json"))
        except sdk.APIError as exc:
            raise ProviderUnavailable(_unavailable(exc)) from None

    def snapshot(self, data: dict[str, Any]) -> Snapshot:
        raw = str(data.get("status"))
        status = STATUS.get(raw, NOT_STARTED)
        since = times.maybe_iso(data.get("end_date")) if status == "canceled" else None
        trial_end = times.maybe_iso((data.get("trial_info") or {}).get("end_date"))
        if status == "active" and trial_end and trial_end > times.now_text():
            status = "trialing"
        if status in ("active", "trialing"):
            failed = self._failed_since(str(data.get("id")))
            if failed is not None:
                status, since = "past_due", failed
        plan = data.get("plan") or {}
        code = plan.get("external_plan_id") or plan.get("id")
        return Snapshot(
            provider=self.name,
            id=str(data.get("id")),
            status=status,
            raw_status=raw,
            tenant=self.tenant_of(data),
            prices=(str(code),) if code else (),
            period_end=times.maybe_iso(data.get("current_billing_period_end_date")),
            since=since,
        )

    def _failed_since(self, subscription: str) -> str | None:
        """Orb has no past-due status: a subscription with an issued invoice whose payment
        failed is past due since the oldest such failure."""
        try:
            issued = self._api().invoices.list(subscription_id=subscription, status=["issued"])
            failures = [i.to_dict(mode="json").get("payment_failed_at") for i in issued]
        except sdk.APIError as exc:
            raise ProviderUnavailable(_unavailable(exc)) from None
        moments = sorted(m for f in failures if (m := times.maybe_iso(f)))
        return moments[0] if moments else None


def _subscription_of(data: dict[str, Any]) -> str | None:
    sub = data.get("subscription")
    if not isinstance(sub, dict):
        invoice = data.get("invoice")
        sub = invoice.get("subscription") if isinstance(invoice, dict) else None
    found = sub.get("id") if isinstance(sub, dict) else None
    return found if isinstance(found, str) and found else None


def _unavailable(exc: sdk.APIError) -> str:
    status = getattr(exc, "status_code", None)
    said = f" (HTTP {status})" if status else ""
    return f"Orb's API did not answer usably{said}: {type(exc).__name__}"
