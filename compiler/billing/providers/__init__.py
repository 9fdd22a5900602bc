"""One module per billing provider; `make_provider` picks it by the BillingProvider's type.
Each module imports its SDK, so only the providers a spec names are loaded."""

from __future__ import annotations

import importlib

from compiler.billing.config import ProviderSettings
from compiler.billing.providers.base import Provider

_MODULES = {"stripe": ("stripe", "Stripe"), "lago": ("lago", "Lago"), "orb": ("orb", "Orb")}


def make_provider(settings: ProviderSettings) -> Provider:
    module, cls = _MODULES[settings.type]  # the DSL allows only these types
    loaded = importlib.import_module(f"compiler.billing.providers.{module}")
    made: Provider = getattr(loaded, cls)(settings)
    return made
