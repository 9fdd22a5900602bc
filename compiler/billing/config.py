"""The BillingProviders of a spec, with what the process environment gives them: secrets
(named by the spec, read from the environment, never printed) and `PAYBILL_<TYPE>_API_BASE`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.dsl import ParsedSpec
from compiler.errors import EnvironmentProblem, UsageError

DEFAULT_API_BASES = {
    "stripe": "https://api.stripe.com",
    "lago": "https://api.getlago.com",
    "orb": "https://api.withorb.com/v1",
}


@dataclass(frozen=True)
class Policy:
    """How hard to try a provider's API: seconds per request, and retries with backoff."""

    timeout: float = 10.0
    retries: int = 3

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Policy:
        env = os.environ if env is None else env
        try:
            timeout = float(env.get("PAYBILL_BILLING_TIMEOUT", cls.timeout))
            retries = int(env.get("PAYBILL_BILLING_RETRIES", cls.retries))
        except ValueError:
            raise UsageError(
                "PAYBILL_BILLING_TIMEOUT must be seconds and PAYBILL_BILLING_RETRIES a whole number"
            ) from None
        if timeout <= 0 or retries < 0:
            raise UsageError("PAYBILL_BILLING_TIMEOUT must be > 0, PAYBILL_BILLING_RETRIES >= 0")
        return cls(timeout, retries)


@dataclass(frozen=True)
class ProviderSettings:
    name: str
    type: str
    webhook_secret_variable: str
    api_key_variable: str
    tenant_key: str
    plans: Mapping[str, str]  # price or plan code -> Plan
    api_base: str
    policy: Policy = field(default_factory=Policy)

    def webhook_secret(self) -> str:
        return _secret(self.webhook_secret_variable, self.name, "webhook")

    def api_key(self) -> str:
        return _secret(self.api_key_variable, self.name, "api")


def _secret(variable: str, provider: str, which: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        raise EnvironmentProblem(
            f"BillingProvider/{provider} spec.secrets.{which}: the environment variable "
            f"{variable} is not set; set it to the provider's {which} secret"
        )
    return value


def provider_settings(
    spec: ParsedSpec, policy: Policy | None = None
) -> dict[str, ProviderSettings]:
    """Every BillingProvider of `spec`, by name (sorted)."""
    policy = policy or Policy.from_environment()
    out = {}
    for name in sorted(spec.billing_providers):
        s = spec.billing_providers[name].model.spec
        variable = f"PAYBILL_{s.type.upper()}_API_BASE"
        out[name] = ProviderSettings(
            name=name,
            type=s.type,
            webhook_secret_variable=s.secrets.webhook,
            api_key_variable=s.secrets.api,
            tenant_key=s.tenant_key,
            plans=dict(s.plans),
            api_base=os.environ.get(variable, "").rstrip("/") or DEFAULT_API_BASES[s.type],
            policy=policy,
        )
    return out


def require_providers(settings: Mapping[str, ProviderSettings], spec_dir: Path) -> None:
    if not settings:
        raise UsageError(
            f"{spec_dir} has no BillingProvider document; add one (docs/billing.md) to "
            "receive billing news"
        )


def state_folder(spec_dir: Path) -> Path:
    """`.paybill/` beside the spec folder: the inbox, the sync's lock and working copy.
    It holds its own `.gitignore`, so git never sees it."""
    folder = spec_dir.resolve().parent / ".paybill"
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return folder
