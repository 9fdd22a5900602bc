"""How far a schema rebuilt from bindings (`compiler.providers.jsii`) is from the real one.

Used once per method change, on AWS, whose real schema `terraform providers schema -json`
gives on these machines: the counts say what the rebuilt azurerm, google and oci schemas
can be trusted for. Arguments only (required or optional attributes and nested blocks, at
every depth): attributes that are only computed are not arguments, and the bindings do
not carry them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Block = Mapping[str, Any]


@dataclass
class Comparison:
    types_missing: list[str] = field(default_factory=list)  # in the real schema only
    types_extra: list[str] = field(default_factory=list)  # in the rebuilt one only
    names: int = 0  # arguments of the real schema, in the types both have
    names_missing: list[str] = field(default_factory=list)
    names_extra: list[str] = field(default_factory=list)
    required_mismatches: list[str] = field(default_factory=list)
    typed: int = 0  # attributes in both whose real type is compared
    type_mismatches: list[str] = field(default_factory=list)
    kind_mismatches: list[str] = field(default_factory=list)  # block in one, attribute in other
    single_mismatches: list[str] = field(default_factory=list)  # "at most one" disagrees

    def summary(self) -> str:
        def count(items: list[str]) -> int:
            return len(items)

        return "\n".join(
            [
                f"types missing: {count(self.types_missing)}, extra: {count(self.types_extra)}",
                f"argument names missing: {count(self.names_missing)} of {self.names}, "
                f"extra: {count(self.names_extra)}",
                f"required-flag mismatches: {count(self.required_mismatches)}",
                f"type mismatches: {count(self.type_mismatches)} of {self.typed}",
                f"block/attribute mismatches: {count(self.kind_mismatches)}",
                f"at-most-one-block mismatches: {count(self.single_mismatches)}",
            ]
        )


def compare(real: Mapping[str, Any], rebuilt: Mapping[str, Any]) -> Comparison:
    """Compare two provider entries of `providers schema -json` documents
    (`provider_schemas[<source>]`): the provider block, resources and data sources."""
    out = Comparison()
    sections = [("provider", {"provider": real["provider"]}, {"provider": rebuilt["provider"]})]
    for section in ("resource_schemas", "data_source_schemas"):
        sections.append((section, real.get(section, {}), rebuilt.get(section, {})))
    for section, mine, theirs in sections:
        out.types_missing += sorted(f"{section}.{t}" for t in set(mine) - set(theirs))
        out.types_extra += sorted(f"{section}.{t}" for t in set(theirs) - set(mine))
        for name in sorted(set(mine) & set(theirs)):
            _blocks(out, name, mine[name]["block"], theirs[name]["block"])
    return out


def _arguments(block: Block) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(name, "attribute" | "block", spec) of every argument of a block."""
    for name, spec in block.get("attributes", {}).items():
        if spec.get("required") or spec.get("optional"):
            yield name, "attribute", spec
    for name, spec in block.get("block_types", {}).items():
        yield name, "block", spec


def _blocks(out: Comparison, where: str, real: Block, rebuilt: Block) -> None:
    theirs = {name: (kind, spec) for name, kind, spec in _arguments(rebuilt)}
    mine = {name: (kind, spec) for name, kind, spec in _arguments(real)}
    out.names_extra += sorted(f"{where}.{n}" for n in set(theirs) - set(mine))
    for name, (kind, spec) in sorted(mine.items()):
        here = f"{where}.{name}"
        out.names += 1
        if name not in theirs:
            out.names_missing.append(here)
            continue
        other_kind, other = theirs[name]
        if kind != other_kind:
            out.kind_mismatches.append(here)
            continue
        if kind == "attribute":
            if bool(spec.get("required")) != bool(other.get("required")):
                out.required_mismatches.append(here)
            out.typed += 1
            if not same_type(spec["type"], other["type"]):
                out.type_mismatches.append(f"{here}: {spec['type']} vs {other['type']}")
            continue
        if (spec.get("min_items", 0) > 0) != (other.get("min_items", 0) > 0):
            out.required_mismatches.append(here)
        if _at_most_one(spec) != _at_most_one(other):
            out.single_mismatches.append(here)
        _blocks(out, here, spec["block"], other["block"])


def _at_most_one(spec: Mapping[str, Any]) -> bool:
    return spec.get("nesting_mode") == "single" or spec.get("max_items") == 1


def same_type(real: Any, rebuilt: Any) -> bool:
    """Equal once sets read as lists: the bindings do not tell them apart, and neither
    does JSON."""
    if isinstance(real, str) or isinstance(rebuilt, str):
        return bool(real == rebuilt)
    kind, inner = real
    other_kind, other_inner = rebuilt
    if kind == "set":
        kind = "list"
    if other_kind == "set":
        other_kind = "list"
    if kind != other_kind:
        return False
    if kind == "object":
        return set(inner) == set(other_inner) and all(
            same_type(inner[k], other_inner[k]) for k in inner
        )
    return same_type(inner, other_inner)
