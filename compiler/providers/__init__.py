"""Provider schemas as data (one committed file per cloud) and the one validator that checks
every synthesized Terraform document against its cloud's schema (see docs/clouds.md)."""

from __future__ import annotations

from compiler.providers.check import GENERATED_HINT, check_documents, document_problems
from compiler.providers.schemas import PROVIDERS, ProviderSchema, loaded
from compiler.providers.schemas import load as load_schema
from compiler.providers.validate import Problem, validate

__all__ = [
    "GENERATED_HINT",
    "PROVIDERS",
    "Problem",
    "ProviderSchema",
    "check_documents",
    "document_problems",
    "load_schema",
    "loaded",
    "validate",
]
