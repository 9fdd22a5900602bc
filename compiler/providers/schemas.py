"""The committed provider schemas, one per cloud, loaded when first needed and then kept.

Each file is a `terraform providers schema -json` document holding one provider:

* aws: the real schema of hashicorp/aws 5.100.0, cut to the types the stack builders use
  (scripts/refresh-provider-schema.py runs terraform for it);
* azure, gcp, oci: rebuilt from the prebuilt bindings' jsii assemblies
  (scripts/extract-provider-schema.py; compiler.providers.jsii says what that can and
  cannot know);
* ibm: written by hand from the provider's source, for the types the IBM driver emits;
  every argument that could not be confirmed carries a `description` that says so.

A compile of AWS stacks never reads the other four files: `load` reads a cloud's file the
first time a document of that cloud is validated, and keeps it for the process.
"""

from __future__ import annotations

import gzip
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

DATA = Path(__file__).resolve().parent / "data"

# cloud -> (provider source as Terraform writes it in state and lock files, file name)
PROVIDERS: dict[str, tuple[str, str]] = {
    "aws": ("registry.terraform.io/hashicorp/aws", "aws.json.gz"),
    "azure": ("registry.terraform.io/hashicorp/azurerm", "azure.json.gz"),
    "gcp": ("registry.terraform.io/hashicorp/google", "gcp.json.gz"),
    "oci": ("registry.terraform.io/oracle/oci", "oci.json.gz"),
    "ibm": ("registry.terraform.io/ibm-cloud/ibm", "ibm.json"),
}
# Sources as `required_providers` may write them (no host means the public registry).
_BY_SOURCE = {source.lower(): cloud for cloud, (source, _) in PROVIDERS.items()}


def schema_path(cloud: str) -> Path:
    return DATA / PROVIDERS[cloud][1]


def compressed(document: dict[str, Any]) -> bytes:
    """A schema file's bytes: compact JSON with sorted keys, gzipped without a timestamp,
    so that the same schema gives the same file (a third of the parse time of indented
    JSON, which nobody reads in a gzipped file anyway)."""
    return gzip.compress(orjson.dumps(document, option=orjson.OPT_SORT_KEYS), 9, mtime=0)


def cloud_of_source(source: str) -> str | None:
    """The cloud whose provider `source` names (`hashicorp/aws`, `IBM-Cloud/ibm`), or None."""
    full = source.lower() if source.count("/") == 2 else f"registry.terraform.io/{source.lower()}"
    return _BY_SOURCE.get(full)


@dataclass(frozen=True)
class ProviderSchema:
    """One provider's schema: its blocks by kind and type name, and where it came from."""

    cloud: str
    source: str
    version: str
    provider: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    data_sources: dict[str, dict[str, Any]]
    origin: str  # how the schema was obtained, for messages
    load_seconds: float

    @property
    def label(self) -> str:
        """`hashicorp/azurerm 5.10.0`, as messages name the schema."""
        return f"{self.source.removeprefix('registry.terraform.io/')} {self.version}"


_LOADED: dict[str, ProviderSchema] = {}


def load(cloud: str) -> ProviderSchema:
    """The cloud's schema, read from its committed file on first use, then kept."""
    schema = _LOADED.get(cloud)
    if schema is None:
        schema = _LOADED[cloud] = _read(cloud)
    return schema


def loaded() -> dict[str, float]:
    """Cloud -> seconds its schema took to load, for the schemas loaded so far."""
    return {cloud: schema.load_seconds for cloud, schema in sorted(_LOADED.items())}


def _read(cloud: str) -> ProviderSchema:
    started = time.perf_counter()
    path = schema_path(cloud)
    raw = path.read_bytes()
    document: dict[str, Any] = orjson.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    source = PROVIDERS[cloud][0]
    entry = document["provider_schemas"][source]
    about = document.get("extracted_from", {})
    return ProviderSchema(
        cloud=cloud,
        source=source,
        version=about["provider_version"],
        provider=entry["provider"]["block"],
        resources={t: s["block"] for t, s in entry.get("resource_schemas", {}).items()},
        data_sources={t: s["block"] for t, s in entry.get("data_source_schemas", {}).items()},
        origin=about.get("method", ""),
        load_seconds=time.perf_counter() - started,
    )
