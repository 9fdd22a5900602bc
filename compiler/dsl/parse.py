"""Stage 2: positioned YAML documents -> typed, frozen DSL models.

Checks what a single document can say about itself (its shape), plus the two rules that
are about the set of documents as written: names unique per kind, exactly one Platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import ValidationError

from compiler.dsl.agent import Agent
from compiler.dsl.common import Document
from compiler.dsl.messages import describe_value, diagnostics_for
from compiler.dsl.plan import Plan
from compiler.dsl.platform import Platform
from compiler.dsl.table import Table
from compiler.dsl.tenant import Tenant
from compiler.dsl.tool import Tool
from compiler.dsl.workflow import Workflow
from compiler.errors import Collector, Diagnostic, Location, did_you_mean
from compiler.load import LoadedSpec, SourceDocument

KINDS: dict[str, type[Document]] = {
    "Platform": Platform,
    "Plan": Plan,
    "Tenant": Tenant,
    "Table": Table,
    "Tool": Tool,
    "Agent": Agent,
    "Workflow": Workflow,
}

D_co = TypeVar("D_co", bound=Document, covariant=True)


@dataclass(frozen=True, slots=True)
class Parsed(Generic[D_co]):
    """A validated document and where it was written."""

    model: D_co
    source: SourceDocument

    @property
    def name(self) -> str:
        return self.model.metadata.name


@dataclass(frozen=True)
class ParsedSpec:
    """Every document of a spec, by kind and name, in file order."""

    platform: Parsed[Platform]
    plans: dict[str, Parsed[Plan]] = field(default_factory=dict)
    tenants: dict[str, Parsed[Tenant]] = field(default_factory=dict)
    tables: dict[str, Parsed[Table]] = field(default_factory=dict)
    tools: dict[str, Parsed[Tool]] = field(default_factory=dict)
    agents: dict[str, Parsed[Agent]] = field(default_factory=dict)
    workflows: dict[str, Parsed[Workflow]] = field(default_factory=dict)
    digest: str = ""
    root: str = ""


def parse(loaded: LoadedSpec, root: str = "") -> ParsedSpec:
    """Validate every document; raise one SpecError with every problem found."""
    problems = Collector()
    by_kind: dict[str, dict[str, Parsed[Document]]] = {kind: {} for kind in KINDS}
    for source in loaded.documents:
        parsed = _parse_one(source, problems)
        if parsed is None:
            continue
        seen = by_kind[parsed.model.kind]  # type: ignore[attr-defined]
        first = seen.get(parsed.name)
        if first is not None:
            problems.add(
                Diagnostic(
                    source.at("metadata", "name"),
                    f"{source.kind} '{parsed.name}' is defined twice "
                    f"(first at {first.source.at('metadata', 'name')})",
                    source.label,
                    "metadata.name",
                    "names are unique per kind; rename or remove one",
                )
            )
            continue
        seen[parsed.name] = parsed
    platforms = list(by_kind["Platform"].values())
    if not platforms and not problems:
        problems.add(
            Diagnostic(
                Location(root or "spec"),
                "no Platform document found",
                hint="every spec has exactly one document of kind Platform",
            )
        )
    for extra in platforms[1:]:
        problems.add(
            Diagnostic(
                extra.source.at("kind"),
                f"a second Platform document (the first is at {platforms[0].source.start})",
                extra.source.label,
                "kind",
                "a spec has exactly one Platform",
            )
        )
    problems.raise_if_any()
    return ParsedSpec(
        platform=platforms[0],  # type: ignore[arg-type]
        plans=by_kind["Plan"],  # type: ignore[arg-type]
        tenants=by_kind["Tenant"],  # type: ignore[arg-type]
        tables=by_kind["Table"],  # type: ignore[arg-type]
        tools=by_kind["Tool"],  # type: ignore[arg-type]
        agents=by_kind["Agent"],  # type: ignore[arg-type]
        workflows=by_kind["Workflow"],  # type: ignore[arg-type]
        digest=loaded.digest,
        root=root,
    )


def _parse_one(source: SourceDocument, problems: Collector) -> Parsed[Document] | None:
    data = source.data
    if not isinstance(data, dict):
        problems.add(
            Diagnostic(
                source.start,
                f"a document must be a mapping, not {describe_value(data)}",
                source.label,
                hint="start with 'apiVersion: paybill.dev/v1' and 'kind: ...'",
            )
        )
        return None
    kind = data.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        problems.add(_bad_kind(source, kind))
        return None
    try:
        return Parsed(model.model_validate(data), source)
    except ValidationError as error:
        problems.extend(diagnostics_for(source, model, error))
        return None


def _bad_kind(source: SourceDocument, kind: object) -> Diagnostic:
    choices = ", ".join(KINDS)
    if kind is None:
        return Diagnostic(
            source.start,
            "missing required field 'kind'",
            source.label,
            "kind",
            f"one of {choices}",
        )
    shown = f"'{kind}'" if isinstance(kind, str) else describe_value(kind)
    hint = did_you_mean(kind, KINDS) if isinstance(kind, str) else ""
    return Diagnostic(
        source.at("kind"),
        f"unknown kind {shown}; must be one of {choices}",
        source.label,
        "kind",
        hint,
    )
