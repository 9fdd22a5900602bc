"""Lago: `X-Lago-Signature` with `X-Lago-Signature-Algorithm` `jwt` (RS256, the organization's
public key; the token's `data` claim is the body) or `hmac` (base64 HMAC-SHA256 of the body);
`X-Lago-Unique-Key` is the event's id. Lago signs no time: a replay is caught by that key.

The official `lago-python-client` cannot be installed beside the compiler (it needs typeguard
4, cdktn pins typeguard 2) and verifies nothing itself, so its documented REST API is called
with httpx and the JWT checked with PyJWT, as Lago's own guide does."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import httpx
import jwt

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
from compiler.billing.providers.retry import with_retries

STATUS = {"active": "active", "terminated": "canceled", "canceled": "canceled"}
PEM_START = "-----BEGIN PUBLIC KEY-----"


class Lago(Provider):
    type = "lago"
    relevant = frozenset(
        {
            "subscription.started",
            "subscription.terminated",
            "subscription.updated",
            "subscription.trial_ended",
            "subscription.termination_alert",
            "invoice.payment_failure",
            "invoice.payment_overdue",
            "invoice.payment_status_updated",
            "invoice.created",
        }
    )

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self._client: httpx.Client | None = None

    def verify(self, body: bytes, headers: Headers) -> None:
        signature = header(headers, "X-Lago-Signature")
        algorithm = (header(headers, "X-Lago-Signature-Algorithm") or "jwt").lower()
        if not signature:
            raise Refused("no X-Lago-Signature header")
        key = _public_key(self.settings.webhook_secret())
        if key is not None:
            if algorithm != "jwt":
                raise Refused(f"signed with {algorithm}, but the secret is a JWT public key")
            _verify_jwt(body, signature, key)
            return
        if algorithm != "hmac":
            raise Refused(f"signed with {algorithm}, but the secret is an HMAC key")
        expected = base64.b64encode(
            hmac.new(self.settings.webhook_secret().encode(), body, hashlib.sha256).digest()
        )
        if not hmac.compare_digest(expected, signature.encode()):
            raise Refused("X-Lago-Signature does not match the body")

    def read(self, body: bytes, headers: Headers, received: str) -> Notice:
        data = json_object(body)
        event_id = header(headers, "X-Lago-Unique-Key")
        if not event_id:
            raise Malformed("no X-Lago-Unique-Key header")
        kind = text_field(data, "webhook_type")
        return Notice(event_id, kind, _subscription_of(data), received, kind in self.relevant)

    def _api(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=f"{self.settings.api_base}/api/v1",
                headers={"Authorization": f"Bearer {self.settings.api_key()}"},
                timeout=self.settings.policy.timeout,
            )
        return self._client

    def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return with_retries(
            self.settings.policy,
            f"Lago's API ({path.split('/')[1]})",
            lambda: self._api().get(path, params=params),
        )

    def fetch(self, subscription: str) -> Snapshot:
        response = self._get(f"/subscriptions/{subscription}")
        if response.status_code == 404:
            raise NotFound(f"Lago has no subscription {subscription}")
        return self.snapshot(_body(response, "subscription"))

    def subscriptions(self) -> Iterator[Snapshot]:
        page: int | None = 1
        while page is not None:
            params = {"page": page, "per_page": 100, "status[]": ["active", "terminated"]}
            data = _body(self._get("/subscriptions", params), None)
            for item in data.get("subscriptions") or []:
                yield self.snapshot(item)
            following = (data.get("meta") or {}).get("next_page")
            page = following if isinstance(following, int) else None

    def snapshot(self, data: dict[str, Any]) -> Snapshot:
        raw = str(data.get("status"))
        status = STATUS.get(raw, NOT_STARTED)
        since = times.maybe_iso(data.get("terminated_at") or data.get("canceled_at"))
        found = data.get("plan")
        plan: dict[str, Any] = found if isinstance(found, dict) else {}
        if status == "active" and data.get("trial_ended_at") is None and plan.get("trial_period"):
            status = "trialing"
        if status == "active":
            overdue = self._overdue_since(str(data.get("external_customer_id") or ""))
            if overdue is not None:
                status, since = "past_due", overdue
        return Snapshot(
            provider=self.name,
            id=str(data.get("external_id")),
            status=status,
            raw_status=raw,
            tenant=self.tenant_of(data),
            prices=(str(data.get("plan_code")),) if data.get("plan_code") else (),
            period_end=times.maybe_iso(data.get("current_billing_period_ending_at")),
            since=since,
            scheduled_price=data.get("next_plan_code") or None,
            scheduled_at=times.maybe_iso(data.get("downgrade_plan_date")),
        )

    def _overdue_since(self, customer: str) -> str | None:
        """Lago has no past-due status: a customer with an overdue invoice is past due since
        the oldest one's due date."""
        if not customer:
            return None
        params = {"external_customer_id": customer, "payment_overdue": "true"}
        invoices = _body(self._get("/invoices", params), None).get("invoices") or []
        due = sorted(d for i in invoices if (d := times.maybe_iso(i.get("payment_due_date"))))
        return due[0] if due else None


def _public_key(secret: str) -> str | None:
    """The PEM public key a JWT-signing endpoint is verified with (as Lago's API returns it,
    base64-encoded, or as PEM text), or None when the secret is an HMAC key."""
    if PEM_START in secret:
        return secret
    try:
        decoded = base64.b64decode(secret, validate=True).decode()
    except ValueError:
        return None
    return decoded if PEM_START in decoded else None


def _verify_jwt(body: bytes, token: str, key: str) -> None:
    try:
        claims = jwt.decode(token, key, algorithms=["RS256"], options={"require": ["data"]})
    except jwt.PyJWTError as exc:
        raise Refused(f"X-Lago-Signature does not verify ({type(exc).__name__})") from None
    signed = claims.get("data")
    if not isinstance(signed, str) or not hmac.compare_digest(signed.encode(), body):
        raise Refused("X-Lago-Signature was made for another body")


def _subscription_of(data: dict[str, Any]) -> str | None:
    obj = data.get(str(data.get("object_type")))
    if not isinstance(obj, dict):
        return None
    if data.get("object_type") == "subscription":
        found = obj.get("external_id")
    else:
        subs = obj.get("subscriptions") or []
        found = subs[0].get("external_id") if subs and isinstance(subs[0], dict) else None
    return found if isinstance(found, str) and found else None


def _body(response: httpx.Response, key: str | None) -> dict[str, Any]:
    if response.status_code >= 400:
        raise ProviderUnavailable(f"Lago's API answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise ProviderUnavailable("Lago's API answered with something that is not JSON") from None
    found = data.get(key) if key is not None and isinstance(data, dict) else data
    if not isinstance(found, dict):
        raise ProviderUnavailable(f"Lago's API answered without '{key}'")
    return found
