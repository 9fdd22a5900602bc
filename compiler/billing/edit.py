"""The one edit billing makes to the spec: a tenant's plan, pool, state and subscription,
in place, with ruamel.yaml's round trip, so that the file keeps its comments, key order,
quoting and layout; only the lines of fields that change differ."""

from __future__ import annotations

import io
import itertools
from typing import Any

import yaml as yaml_reader
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from compiler.billing.decide import TenantView
from compiler.errors import PaybillError

_SAFE: Any = getattr(yaml_reader, "CSafeLoader", yaml_reader.SafeLoader)


class EditError(PaybillError):
    """The tenant's file cannot be edited as it is (said why, for the event's reason)."""


def _yaml(layout: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # `[{email: x}]` stays as it is
    yaml.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    return yaml


def _load(text: str, file: str) -> tuple[YAML, list[Any]]:
    yaml = _yaml(layout_of(text))
    try:
        return yaml, list(yaml.load_all(text))
    except (YAMLError, ValueError) as exc:
        raise EditError(f"{file} is not YAML that can be edited: {exc}") from None


def layout_of(text: str) -> tuple[int, int, int]:
    """The file's own indents (mapping, sequence, offset), as ruamel writes them: a nested
    key's indent, and how far a block sequence's dash stands from its key."""
    lines = [x for x in text.splitlines() if x.strip() and not x.lstrip().startswith("#")]
    nested = (_indent(x) for x in lines if x.startswith(" ") and x.lstrip()[0] != "-")
    mapping = next(nested, 2)
    for above, line in itertools.pairwise(lines):
        if line.lstrip().startswith("- ") and above.rstrip().endswith(":"):
            offset = _indent(line) - _indent(above)
            return (mapping, offset + 2, offset)
    return (mapping, mapping + 2, mapping)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _dump(yaml: YAML, docs: list[Any]) -> str:
    out = io.StringIO()
    if len(docs) == 1:
        yaml.dump(docs[0], out)
    else:
        yaml.dump_all(docs, out)
    return out.getvalue()


def read_view(text: str, file: str, name: str) -> TenantView:
    """The billing-relevant fields of tenant `name` in `text` (read with PyYAML's C loader:
    a sync reads every tenant it hears about, and edits only those that change)."""
    try:
        docs = list(yaml_reader.load_all(text, Loader=_SAFE))
    except yaml_reader.YAMLError as exc:
        raise EditError(f"{file} is not YAML that can be edited: {exc}") from None
    spec = _spec(docs, file, name)
    sub = spec.get("subscription") or {}
    scheduled = sub.get("scheduled")
    return TenantView(
        name=name,
        plan=str(spec.get("plan")),
        state=str(spec.get("state")),
        status=str(sub.get("status")),
        pool=_text(spec.get("pool")),
        region=str(spec.get("region")),
        provider=_text(sub.get("provider")),
        id=_text(sub.get("id")),
        as_of=_text(sub.get("asOf")),
        event=_text(sub.get("event")),
        since=_text(sub.get("since")),
        scheduled=(str(scheduled["plan"]), str(scheduled["at"]))
        if isinstance(scheduled, dict)
        else None,
        own_network="network" in spec,
    )


def edit_tenant(text: str, file: str, after: TenantView) -> str:
    """`text` with tenant `after.name` set to `after`; every other byte as it was."""
    yaml, docs = _load(text, file)
    spec = _spec(docs, file, after.name)
    _set(spec, "plan", after.plan)
    _set(spec, "state", after.state)
    if not after.own_network:
        spec.pop("network", None)
    if after.pool is None:
        spec.pop("pool", None)
    else:
        _set(spec, "pool", after.pool, before="state")
    sub = spec.get("subscription")
    if not isinstance(sub, CommentedMap):
        raise EditError(f"{file}: Tenant/{after.name} spec.subscription is not a mapping")
    fields: list[tuple[str, object]] = [
        ("status", after.status),
        ("provider", after.provider),
        ("id", after.id),
        ("asOf", _quoted(after.as_of)),
        ("event", after.event),
        ("since", _quoted(after.since)),
    ]
    for key, value in fields:
        if value is None:
            sub.pop(key, None)
        else:
            _set(sub, key, value)
    if after.scheduled is None:
        sub.pop("scheduled", None)
    else:
        plan, at = after.scheduled
        scheduled = CommentedMap([("plan", plan), ("at", DoubleQuotedScalarString(at))])
        scheduled.fa.set_flow_style()
        sub["scheduled"] = scheduled
    if len(sub) > 1 and sub.fa.flow_style():
        sub.fa.set_block_style()  # one field a line once it is more than the status
    return _dump(yaml, docs)


def _spec(docs: list[Any], file: str, name: str) -> Any:
    """The `spec` mapping of tenant `name` (a CommentedMap from ruamel, a dict from PyYAML)."""
    for doc in docs:
        if (
            isinstance(doc, dict)
            and doc.get("kind") == "Tenant"
            and isinstance(doc.get("metadata"), dict)
            and doc["metadata"].get("name") == name
            and isinstance(doc.get("spec"), dict)
        ):
            return doc["spec"]
    raise EditError(f"{file} holds no Tenant named '{name}'")


def _set(mapping: CommentedMap, key: str, value: object, before: str | None = None) -> None:
    """Set `key`, keeping its place (and the quoting style, when the text is the same)."""
    if key in mapping:
        if mapping[key] != value:
            mapping[key] = value
        return
    if before is not None and before in mapping:
        mapping.insert(list(mapping).index(before), key, value)
    else:
        mapping[key] = value


def _quoted(value: str | None) -> DoubleQuotedScalarString | None:
    """Times are written quoted: unquoted, YAML would read them as timestamps, not text."""
    return None if value is None else DoubleQuotedScalarString(value)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
