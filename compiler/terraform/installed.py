"""Whether terraform can get a provider on this machine: from a plugin mirror, from the
plugin cache, or from the registry.

Planning a stack whose provider terraform cannot get would fail at `init` with terraform's
own message about packages; plan and doctor ask here first, so that such a stack is named
with its provider instead ("schema-checked only: provider azurerm not installed"). On this
project's offline machines only the AWS provider sits in the mirror and the registry is
out of reach; on a CI runner the registry answers and every provider is downloaded.
"""

from __future__ import annotations

import functools
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.terraform.providers import (
    MIRROR_CANDIDATES,
    MIRROR_VARIABLE,
    Provider,
    default_plugin_cache,
    holds,
)

REGISTRY_URL = "https://registry.terraform.io/.well-known/terraform.json"
REGISTRY_SECONDS = 5.0


def reach(url: str, timeout: float) -> str | None:
    """None when the URL answers, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return None
    except (urllib.error.URLError, OSError) as failed:
        return str(getattr(failed, "reason", failed))


@functools.cache
def registry_unreachable() -> str | None:
    """Why the public registry cannot be reached (None when it answers), asked once per
    process: a plan of many stacks waits for it at most once."""
    return reach(REGISTRY_URL, REGISTRY_SECONDS)


@dataclass(frozen=True)
class Source:
    """Where terraform would take a provider from: "plugin mirror", "plugin cache" or
    "registry"; `where` is the folder or the registry's host."""

    kind: str
    where: str


def mirrors() -> list[Path]:
    """PAYBILL_TF_PLUGIN_MIRROR alone when it is set, else the usual places."""
    named = os.environ.get(MIRROR_VARIABLE)
    return [Path(named)] if named else list(MIRROR_CANDIDATES)


def local_source(provider: Provider, cache: Path | None = None) -> Source | None:
    """The mirror or cache folder holding exactly this version, or None."""
    for mirror in mirrors():
        if holds(mirror, provider):
            return Source("plugin mirror", str(mirror))
    cache = cache or default_plugin_cache()
    if holds(cache, provider):
        return Source("plugin cache", str(cache))
    return None


def source_of(
    provider: Provider,
    cache: Path | None = None,
    unreachable: Callable[[], str | None] | None = None,
) -> Source | None:
    """Where terraform gets `provider`, or None: in no mirror, not cached, and the registry
    does not answer."""
    local = local_source(provider, cache)
    if local is not None:
        return local
    why_not = (unreachable or registry_unreachable)()
    return Source("registry", "registry.terraform.io") if why_not is None else None


def not_installed(
    providers: Iterable[Provider],
    cache: Path | None = None,
    unreachable: Callable[[], str | None] | None = None,
) -> list[Provider]:
    """The providers of `providers` terraform cannot get here, sorted."""
    return sorted(p for p in set(providers) if source_of(p, cache, unreachable) is None)


def short_name(provider: Provider) -> str:
    """`azurerm` for registry.terraform.io/hashicorp/azurerm."""
    return provider.source.rsplit("/", 1)[-1]


def missing_note(providers: Sequence[Provider]) -> str:
    """What plan says of a stack it did not run terraform for."""
    names = ", ".join(short_name(p) for p in providers)
    noun = "provider" if len(providers) == 1 else "providers"
    return f"schema-checked only: {noun} {names} not installed"
