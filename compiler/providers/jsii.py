"""A provider's schema rebuilt from the jsii assembly of its prebuilt CDK bindings.

No azurerm, google or oci provider binary can be installed on the machines this project is
built on, so `terraform providers schema -json` cannot run for them. Their prebuilt bindings
(`cdktn-provider-azurerm`, ...) are generated from that very command's output, and their
jsii assembly (the `.jsii` JSON inside the package) keeps what the validator needs:

* each resource, data source and the provider is a class whose summary links to its
  registry page, `{@link https://registry.terraform.io/providers/<ns>/<name>/<version>/docs/
  resources/<type> <prefix>_<type>}`: the Terraform type name and the provider version;
* its constructor's `config` is an interface with one property per argument, `optional`
  unless required, whose summary or remarks link to `...#<argument> Class#<argument>`: the
  argument's Terraform name (the property's own name is camelCase, and renamed where it
  clashes with a meta-argument);
* a nested block is a property whose summary reads "<name> block.", typed as a struct (one
  block at most) or an array of structs.

What the assembly cannot say, and so the rebuilt schema does not: attributes that are only
computed (they are not arguments), whether a nested block is a list or a set, a block's
maximum beyond "one", defaults, and deprecations. The validator accepts a block written as
one object or as a list, as Terraform does, so list-or-set and single-or-list-of-one
do not matter to it. `compare` measures the rest against a real schema (AWS, where the
binary is installed).

Pure functions of parsed JSON: the bindings are never imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# `{@link https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/
# db_instance aws_db_instance}`
_TYPE_LINK = re.compile(
    r"registry\.terraform\.io/providers/(?P<namespace>[\w-]+)/(?P<name>[\w-]+)/"
    r"(?P<version>[\w.+-]+)/docs(?:/(?P<kind>resources|data-sources)/[\w-]+)?"
    r"\s+(?P<type>[\w-]+)\}"
)
# `{@link https://.../docs/resources/db_instance#allocated_storage DbInstance#allocated_storage}`
_ARGUMENT_LINK = re.compile(r"registry\.terraform\.io/providers/[^\s#]+#(?P<name>[\w-]+)\s")
_BASES = {
    "TerraformResource": "resource",
    "TerraformDataSource": "data",
    "TerraformProvider": "provider",
}
_RESOLVABLE = {"cdktf.IResolvable", "cdktn.IResolvable"}
_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool"}

Block = dict[str, Any]


class AssemblyError(ValueError):
    """The assembly is not what the generator of prebuilt bindings writes."""


@dataclass
class Extracted:
    """A provider's schema, `terraform providers schema -json` shaped, and what it stands on."""

    source: str  # "registry.terraform.io/hashicorp/azurerm"
    version: str  # the provider version the bindings were generated from
    provider: Block
    resources: dict[str, Block] = field(default_factory=dict)
    data_sources: dict[str, Block] = field(default_factory=dict)
    # properties whose Terraform name came from their camelCase name, not from a link
    guessed_names: list[str] = field(default_factory=list)
    # types of the assembly that were not taken, and why
    left_out: list[str] = field(default_factory=list)

    def document(self, binding: str) -> dict[str, Any]:
        """The schema document as committed: Terraform's shape, plus where it came from."""
        return {
            "format_version": "1.0",
            "provider_schemas": {
                self.source: {
                    "provider": {"version": 0, "block": self.provider},
                    "resource_schemas": {
                        t: {"version": 0, "block": b} for t, b in sorted(self.resources.items())
                    },
                    "data_source_schemas": {
                        t: {"version": 0, "block": b} for t, b in sorted(self.data_sources.items())
                    },
                },
            },
            "extracted_from": {
                "binding": binding,
                "method": "jsii assembly of the prebuilt bindings (scripts/"
                "extract-provider-schema.py)",
                "provider_version": self.version,
                "left_out": self.left_out,
                "names_from_camel_case": self.guessed_names,
            },
        }


def extract(assembly: Mapping[str, Any], version: str | None = None) -> Extracted:
    """The provider's schema from a parsed `.jsii` assembly of its prebuilt bindings.

    With `version`, classes whose registry link names another provider version are left
    out (listed in `left_out`): a generator that kept a type's stale page from an older
    release cannot vouch that the type still exists. Without it, mixed versions raise.
    """
    types: Mapping[str, Any] = assembly.get("types", {})
    found: Extracted | None = None
    classes = []
    left_out = []
    for fqn, spec in sorted(types.items()):
        kind = _construct_kind(spec)
        if kind is None:
            continue
        link = _TYPE_LINK.search(spec.get("docs", {}).get("summary", ""))
        if link is None:
            raise AssemblyError(f"{fqn}: no registry link in its summary")
        if version is not None and link["version"] != version:
            left_out.append(f"{kind} {link['type']} (its page is of {link['version']})")
            continue
        source = f"registry.terraform.io/{link['namespace']}/{link['name']}"
        if found is None:
            found = Extracted(source, link["version"], {})
        elif (source, link["version"]) != (found.source, found.version):
            raise AssemblyError(
                f"{fqn} links to {source} {link['version']}, others to "
                f"{found.source} {found.version}"
            )
        classes.append((fqn, kind, link["type"], spec))
    if found is None:
        raise AssemblyError("no resource, data source or provider class of that version")
    found.left_out = sorted(left_out)
    reader = _Reader(types, found.guessed_names)
    for fqn, kind, name, spec in classes:
        block = reader.block(_config_of(fqn, spec))
        if kind == "provider":
            block.get("attributes", {}).pop("alias", None)  # a meta-argument in Terraform
            found.provider = block
        elif kind == "resource":
            found.resources[name] = block
        else:
            found.data_sources[name] = block
    return found


def _construct_kind(spec: Mapping[str, Any]) -> str | None:
    if spec.get("kind") != "class":
        return None
    base = str(spec.get("base", ""))
    prefix, _, short = base.partition(".")
    if prefix not in ("cdktf", "cdktn"):
        return None
    return _BASES.get(short)


def _config_of(fqn: str, spec: Mapping[str, Any]) -> str:
    for parameter in spec.get("initializer", {}).get("parameters", []):
        if parameter.get("name") == "config":
            config: str = parameter["type"]["fqn"]
            return config
    raise AssemblyError(f"{fqn}: its constructor takes no config")


class _Reader:
    """Turns config interfaces and their structs into Terraform blocks, memoized by fqn."""

    def __init__(self, types: Mapping[str, Any], guessed: list[str]) -> None:
        self.types = types
        self.guessed = guessed
        self.memo: dict[str, Block] = {}

    def block(self, fqn: str) -> Block:
        if fqn not in self.memo:
            self.memo[fqn] = {}  # a struct that refers to itself gets an empty block
            self.memo[fqn] = self._build(fqn)
        return self.memo[fqn]

    def _build(self, fqn: str) -> Block:
        spec = self.types.get(fqn)
        if spec is None:
            raise AssemblyError(f"{fqn}: not in the assembly")
        attributes: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for prop in spec.get("properties", []):
            name = self._terraform_name(fqn, prop)
            required = not prop.get("optional", False)
            docs = prop.get("docs", {})
            struct, many = self._struct_of(prop["type"])
            if struct is not None and docs.get("summary", "").endswith(" block."):
                nested: dict[str, Any] = {"nesting_mode": "list", "block": self.block(struct)}
                if required:
                    nested["min_items"] = 1
                if not many:
                    nested["max_items"] = 1
                blocks[name] = nested
                continue
            attribute: dict[str, Any] = {"type": self._type(prop["type"])}
            attribute["required" if required else "optional"] = True
            attributes[name] = attribute
        out: Block = {}
        if attributes:
            out["attributes"] = dict(sorted(attributes.items()))
        if blocks:
            out["block_types"] = dict(sorted(blocks.items()))
        return out

    def _terraform_name(self, fqn: str, prop: Mapping[str, Any]) -> str:
        docs = prop.get("docs", {})
        for text in (docs.get("summary", ""), docs.get("remarks", "")):
            link = _ARGUMENT_LINK.search(text)
            if link is not None:
                return link["name"]
        self.guessed.append(f"{fqn}.{prop['name']}")
        return re.sub(r"(?<!^)(?=[A-Z])", "_", str(prop["name"])).lower()

    def _struct_of(self, ref: Mapping[str, Any]) -> tuple[str | None, bool]:
        """(the struct's fqn, whether it is an array of them), or (None, False)."""
        ref = _without_resolvable(ref)
        many = False
        collection = ref.get("collection")
        if collection is not None and collection.get("kind") == "array":
            ref, many = _without_resolvable(collection["elementtype"]), True
        fqn = ref.get("fqn")
        if fqn is None or fqn in _RESOLVABLE:
            return None, False
        if self.types.get(fqn, {}).get("datatype"):
            return str(fqn), many
        return None, False

    def _type(self, ref: Mapping[str, Any]) -> Any:
        ref = _without_resolvable(ref)
        if "primitive" in ref:
            return _PRIMITIVES.get(ref["primitive"], "dynamic")
        collection = ref.get("collection")
        if collection is not None:
            inner = self._type(collection["elementtype"])
            return ["map" if collection["kind"] == "map" else "list", inner]
        fqn = ref.get("fqn")
        if fqn is not None and self.types.get(fqn, {}).get("datatype"):
            block = self.block(fqn)
            fields = {name: spec["type"] for name, spec in block.get("attributes", {}).items()}
            return ["object", fields]
        return "dynamic"  # a bare IResolvable: any value


def _without_resolvable(ref: Mapping[str, Any]) -> Mapping[str, Any]:
    """`string | IResolvable` -> `string`: every argument also takes an expression."""
    union = ref.get("union")
    if union is None:
        return ref
    kept = [t for t in union["types"] if t.get("fqn") not in _RESOLVABLE]
    if len(kept) == 1:
        return _without_resolvable(kept[0])
    return {"primitive": "any"}
