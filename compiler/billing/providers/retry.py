"""Retries with exponential backoff for the one provider whose official SDK cannot be
installed beside the compiler (Lago): the Stripe and Orb SDKs retry on their own."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import httpx

from compiler.billing.config import Policy
from compiler.billing.model import ProviderUnavailable

T = TypeVar("T")
RETRIED_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
FIRST_WAIT, LONGEST_WAIT = 0.5, 8.0


def with_retries(policy: Policy, what: str, call: Callable[[], httpx.Response]) -> httpx.Response:
    """`call()` until it answers with a status not worth retrying, at most 1 + retries times;
    ProviderUnavailable (saying what went wrong last) when none did."""
    problem = ""
    for attempt in range(policy.retries + 1):
        if attempt:
            wait = min(LONGEST_WAIT, FIRST_WAIT * 2 ** (attempt - 1))
            time.sleep(wait * (0.75 + random.random() / 2))
        try:
            response = call()
        except httpx.TimeoutException:
            problem = f"no answer within {policy.timeout:g} s"
            continue
        except httpx.TransportError as exc:
            problem = f"cannot connect ({type(exc).__name__})"
            continue
        if response.status_code not in RETRIED_STATUSES:
            return response
        problem = f"HTTP {response.status_code}"
    tries = policy.retries + 1
    raise ProviderUnavailable(f"{what}: {problem} ({tries} tries)")
