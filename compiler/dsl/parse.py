"""Stage 2: positioned YAML documents -> typed, frozen DSL models.

Checks what a single document can say about itself (its shape), plus the two rules that
are about the set of documents as written: names unique per kind, exactly one Platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import ValidationError

from compiler.dsl.agent import Agent
from compiler.dsl.billing import BillingProvider
from compiler.dsl.common import Document
from compiler.dsl.messages import describe_value, diagnostics_for
from compiler.dsl.plan import Plan
from compiler.dsl.platform import Platform
from compiler.dsl.table import Table
from compiler.dsl.tenant import Tenant
from compiler.dsl.tool import Tool
from compiler.dsl.workflow import Workflow
from compiler.errors import Collector, Diagnostic, Location, did_you_mean
from compiler.load import LoadedSpec, SourceDocument, Unread

KINDS: dict[str, type[Document]] = {
    "Platform": Platform,
    "Plan": Plan,
    "Tenant": Tenant,
    "Table": Table,
    "Tool": Tool,
    "Agent": Agent,
    "Workflow": Workflow,
    "BillingProvider": BillingProvider,
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
    """Every valid document of a spec, by kind and name, in file order.

    `problems` are what parsing found wrong; `invalid` names the documents (kind, name)
    that were written but failed, so that later stages report their own findings too
    without calling a reference to such a document "unknown". `unread` are files that could
    not be read whole: a reference to a name one of them may define is not checked either,
    and the run says so.
    """

    platform: Parsed[Platform]
    plans: dict[str, Parsed[Plan]] = field(default_factory=dict)
    tenants: dict[str, Parsed[Tenant]] = field(default_factory=dict)
    tables: dict[str, Parsed[Table]] = field(default_factory=dict)
    tools: dict[str, Parsed[Tool]] = field(default_factory=dict)
    agents: dict[str, Parsed[Agent]] = field(default_factory=dict)
    workflows: dict[str, Parsed[Workflow]] = field(default_factory=dict)
    billing_providers: dict[str, Parsed[BillingProvider]] = field(default_factory=dict)
    digest: str = ""
    root: str = ""
    problems: tuple[Diagnostic, ...] = ()
    invalid: frozenset[tuple[str, str]] = frozenset()
    unread: tuple[Unread, ...] = ()


def parse(loaded: LoadedSpec, root: str = "") -> ParsedSpec:
    """Validate every document.

    Raises one SpecError with every problem when the spec cannot be resolved at all (there
    is not exactly one valid Platform). Otherwise the problems travel in the result, and
    `compiler.resolve` raises them together with its own, so that a file that could not be
    read does not hide what is wrong in the others.
    """
    problems = Collector()
    problems.extend(loaded.problems)
    by_kind: dict[str, dict[str, Parsed[Document]]] = {kind: {} for kind in KINDS}
    invalid: set[tuple[str, str]] = set(loaded.refused)
    platforms: list[Parsed[Document]] = []
    for source in loaded.documents:
        parsed = _parse_one(source, problems)
        if parsed is None:
            invalid.add((source.kind, source.name))
        elif source.kind == "Platform":
            platforms.append(parsed)
        else:
            _add_unique(by_kind[source.kind], parsed, problems)
    _check_one_platform(loaded, root, problems)
    if len(platforms) != 1:
        _not_resolved(loaded, root, problems)
        problems.raise_if_any()
    return ParsedSpec(
        platform=platforms[0],  # type: ignore[arg-type]
        plans=by_kind["Plan"],  # type: ignore[arg-type]
        tenants=by_kind["Tenant"],  # type: ignore[arg-type]
        tables=by_kind["Table"],  # type: ignore[arg-type]
        tools=by_kind["Tool"],  # type: ignore[arg-type]
        agents=by_kind["Agent"],  # type: ignore[arg-type]
        workflows=by_kind["Workflow"],  # type: ignore[arg-type]
        billing_providers=by_kind["BillingProvider"],  # type: ignore[arg-type]
        digest=loaded.digest,
        root=root,
        problems=tuple(problems.diagnostics),
        invalid=frozenset(invalid),
        unread=loaded.unread,
    )


def _not_resolved(loaded: LoadedSpec, root: str, problems: Collector) -> None:
    """Without its Platform, no reference between documents can be checked: say so when
    the reason is a file that could not be read (the Platform may be in it)."""
    if loaded.unread and not any(s.kind == "Platform" for s in loaded.documents):
        files = ", ".join(u.file for u in loaded.unread[:3])
        more = f" and {len(loaded.unread) - 3} more" if len(loaded.unread) > 3 else ""
        problems.add(
            Diagnostic(
                Location(root or "spec"),
                "references between documents were not checked: no Platform document "
                f"could be read (it may be in {files}{more}, which could not be read)",
                hint="fix the files above, then run again",
            )
        )


def _add_unique(
    seen: dict[str, Parsed[Document]], parsed: Parsed[Document], problems: Collector
) -> None:
    source = parsed.source
    first = seen.get(parsed.name)
    if first is None:
        seen[parsed.name] = parsed
        return
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


def _check_one_platform(loaded: LoadedSpec, root: str, problems: Collector) -> None:
    """Exactly one document of kind Platform, valid or not (its own errors are separate)."""
    declared = [source for source in loaded.documents if source.kind == "Platform"]
    refused = any(kind == "Platform" for kind, _ in loaded.refused)
    if not declared and not loaded.unread and not refused:
        # An unreadable file might hold the Platform: then `_not_resolved` says so.
        problems.add(
            Diagnostic(
                Location(root or "spec"),
                "no Platform document found",
                hint="every spec has exactly one document of kind Platform",
            )
        )
    for extra in declared[1:]:
        problems.add(
            Diagnostic(
                extra.at("kind"),
                f"a second Platform document (the first is at {declared[0].start})",
                extra.label,
                "kind",
                "a spec has exactly one Platform",
            )
        )


def _shape_of_document(data: object) -> str:
    """What a document that is not a mapping holds, quoting none of its text: such a file is
    no spec at all (a stray text file, or a hard link to /etc/passwd), and its content must
    not reach a CI log. Its place in the file says where it is."""
    if isinstance(data, str):
        return f"text ({len(data):,} characters)"
    return describe_value(data)


def _parse_one(source: SourceDocument, problems: Collector) -> Parsed[Document] | None:
    data = source.data
    if not isinstance(data, dict):
        problems.add(
            Diagnostic(
                source.start,
                f"a document must be a mapping, not {_shape_of_document(data)}",
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
        found = diagnostics_for(source, model, error)
        problems.extend(d for d in found if d.path not in source.broken)
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
    if not isinstance(kind, str):
        message = f"must be one of {choices}, not {describe_value(kind)}"
        return Diagnostic(source.at("kind"), message, source.label, "kind")
    return Diagnostic(
        source.at("kind"),
        f"unknown kind '{kind}'; must be one of {choices}",
        source.label,
        "kind",
        did_you_mean(kind, KINDS),
    )
