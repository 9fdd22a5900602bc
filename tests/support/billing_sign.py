"""Webhook deliveries signed the providers' documented ways (the receiver checks them with
the providers' SDKs): Stripe's `Stripe-Signature: t=…,v1=…` (HMAC-SHA256 of "{t}.{body}"),
Orb's `X-Orb-Signature: v1=…` (HMAC-SHA256 of "v1:{X-Orb-Timestamp}:{body}"), Lago's
`X-Lago-Signature` as an RS256 JWT whose `data` claim is the body, or base64 HMAC-SHA256."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def body_of(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def stripe_headers(body: bytes, secret: str, at: float | None = None) -> dict[str, str]:
    t = int(time.time() if at is None else at)
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}


def orb_headers(body: bytes, secret: str, at: datetime | None = None) -> dict[str, str]:
    stamp = (at or datetime.now(UTC)).isoformat()
    mac = hmac.new(secret.encode(), f"v1:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Orb-Signature": f"v1={mac}", "X-Orb-Timestamp": stamp}


def lago_hmac_headers(body: bytes, key: str, unique: str) -> dict[str, str]:
    mac = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "X-Lago-Signature": mac,
        "X-Lago-Signature-Algorithm": "hmac",
        "X-Lago-Unique-Key": unique,
    }


def lago_keys() -> tuple[bytes, str]:
    """A private key (PEM) and its public key as Lago's API gives it (base64 of the PEM)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, base64.b64encode(public).decode()


def lago_jwt_headers(body: bytes, private_pem: bytes, unique: str) -> dict[str, str]:
    token = jwt.encode(
        {"data": body.decode(), "iss": "https://api.getlago.com"}, private_pem, algorithm="RS256"
    )
    return {
        "X-Lago-Signature": token,
        "X-Lago-Signature-Algorithm": "jwt",
        "X-Lago-Unique-Key": unique,
    }
