"""Every block of a synthesized Terraform JSON document against its provider's schema.

`terraform validate` is the authority, but it needs the provider binary, which only AWS has
on these machines, and it costs seconds and 600 MB per run. This check runs in process on
every stack a compile builds (and on every module document), in well under a millisecond
per resource, and names the exact place of each mistake: an unknown attribute or block (with
the closest name), a missing required one, a computed-only or deprecated one set, a literal
of the wrong type (nested blocks and object types included), a nested block written in a
shape or number its nesting mode does not allow.

What it accepts, as Terraform does: any value that is an expression (`${...}`), `null`,
and a nested block written as one object or as a list of objects. What it does not accept,
though Terraform would convert it: a literal of another type (`"5"` for a number). The
builders write typed values; a string where a number belongs is a builder's mistake.

Where a schema was rebuilt from bindings (azure, gcp, oci) it lacks computed-only
attributes: setting one reads as "unknown" there instead of "computed".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.errors import did_you_mean
from compiler.providers.schemas import PROVIDERS, ProviderSchema, cloud_of_source, load

# Top-level keys of a Terraform JSON document.
TOP_LEVEL = frozenset(
    {"//", "terraform", "provider", "resource", "data", "output", "variable", "locals",
     "module", "moved", "import", "check", "removed"}
)  # fmt: skip
TERRAFORM_SETTINGS = frozenset(
    {"//", "required_version", "required_providers", "backend", "cloud", "experiments",
     "provider_meta"}
)  # fmt: skip
RESOURCE_META = frozenset(
    {"//", "count", "for_each", "depends_on", "provider", "lifecycle", "provisioner",
     "connection"}
)  # fmt: skip
DATA_META = frozenset({"//", "count", "for_each", "depends_on", "provider", "lifecycle"})
PROVIDER_META = frozenset({"//", "alias", "version"})
RESOURCE_LIFECYCLE = frozenset(
    {"create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by",
     "precondition", "postcondition"}
)  # fmt: skip
DATA_LIFECYCLE = frozenset({"precondition", "postcondition"})
# Built into Terraform, not part of any provider: their arguments are checked here.
BUILTIN_DATA: dict[str, tuple[set[str], set[str]]] = {
    "terraform_remote_state": ({"backend"}, {"config", "defaults", "workspace"})
}
BUILTIN_RESOURCES: dict[str, tuple[set[str], set[str]]] = {
    "terraform_data": (set(), {"input", "triggers_replace"})
}
_PRIMITIVE = {"string": (str,), "number": (int, float), "bool": (bool,)}


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake: in which document, at which address and path, and what it is."""

    document: str  # "stack tenant-acme", "module silo"
    address: str  # "aws_db_instance.database", "data.aws_region.here", "provider.aws"
    path: str  # below the address: "blue_green_update[0].enabled", or ""
    message: str

    @property
    def where(self) -> str:
        return f"{self.address}.{self.path}" if self.path else self.address

    def render(self) -> str:
        return f"{self.document}: {self.where}: {self.message}"


def validate(document: Mapping[str, Any], name: str, cloud: str) -> list[Problem]:
    """Every problem of one document (`name` says which, in messages) meant for `cloud`."""
    if cloud not in PROVIDERS:
        raise ValueError(f"no provider schema for cloud {cloud!r}")
    check = _Document(document, name, cloud)
    check.run()
    return check.problems


@dataclass
class _Document:
    document: Mapping[str, Any]
    name: str
    cloud: str

    def __post_init__(self) -> None:
        self.problems: list[Problem] = []
        self.sources = self._required_providers()

    def add(self, address: str, path: tuple[str, ...], message: str) -> None:
        self.problems.append(Problem(self.name, address, _joined(path), message))

    def run(self) -> None:
        for key in sorted(set(self.document) - TOP_LEVEL):
            self.add(key, (), "not a top-level block of a Terraform JSON document")
        self._terraform_block()
        for local, config in _provider_configs(self.document.get("provider", {})):
            schema = self._schema_for(f"provider.{local}", local)
            if schema is not None:
                _Block(self, f"provider.{local}", PROVIDER_META).check(config, schema.provider)
        for kind, meta in (("resource", RESOURCE_META), ("data", DATA_META)):
            for type_, label, body in _instances(self.document.get(kind, {})):
                self._instance(kind, type_, label, body, meta)
        for label, body in sorted(self.document.get("module", {}).items()):
            if not isinstance(body, dict) or "source" not in body:
                self.add(f"module.{label}", ("source",), "required, missing")
        for label, body in sorted(self.document.get("output", {}).items()):
            if not isinstance(body, dict) or "value" not in body:
                self.add(f"output.{label}", ("value",), "required, missing")

    def _required_providers(self) -> dict[str, str]:
        """Local provider name -> source, as the document's `terraform` block declares."""
        out = {}
        for block in _as_list(self.document.get("terraform", {})):
            for local, spec in (block.get("required_providers") or {}).items():
                if isinstance(spec, dict) and isinstance(spec.get("source"), str):
                    out[local] = spec["source"]
        return out

    def _terraform_block(self) -> None:
        for block in _as_list(self.document.get("terraform", {})):
            if not isinstance(block, dict):
                self.add("terraform", (), "must be an object")
                continue
            for key in sorted(set(block) - TERRAFORM_SETTINGS):
                hint = did_you_mean(key, TERRAFORM_SETTINGS)
                self.add("terraform", (key,), _unknown("setting", hint))
            for local, spec in sorted((block.get("required_providers") or {}).items()):
                if not isinstance(spec, dict) or not isinstance(spec.get("source"), str):
                    self.add("terraform", ("required_providers", local, "source"), "missing")
                elif cloud_of_source(spec["source"]) is None:
                    self.add(
                        "terraform",
                        ("required_providers", local, "source"),
                        f"no committed schema for provider {spec['source']}",
                    )

    def _instance(self, kind: str, type_: str, label: str, body: Any, meta: frozenset[str]) -> None:
        address = f"{type_}.{label}" if kind == "resource" else f"data.{type_}.{label}"
        if not isinstance(body, dict):
            self.add(address, (), "must be an object")
            return
        builtin = (BUILTIN_RESOURCES if kind == "resource" else BUILTIN_DATA).get(type_)
        if builtin is not None:
            self._builtin(address, body, meta, *builtin)
            return
        provider = str(body.get("provider", "")).removeprefix("${").removesuffix("}")
        local = provider.split(".", maxsplit=1)[0] if provider else type_.split("_", maxsplit=1)[0]
        schema = self._schema_for(address, local)
        if schema is None:
            return
        types = schema.resources if kind == "resource" else schema.data_sources
        block = types.get(type_)
        if block is None:
            what = "resource type" if kind == "resource" else "data source"
            hint = did_you_mean(type_, types)
            self.add(address, (), f"{what} {type_} is not in {_schema_name(schema)}" + (
                f" ({hint})" if hint else ""))  # fmt: skip
            return
        _Block(self, address, meta).check(body, block)
        self._lifecycle(address, kind, body.get("lifecycle"))

    def _builtin(
        self, address: str, body: dict[str, Any], meta: frozenset[str], need: set[str],
        allowed: set[str],
    ) -> None:  # fmt: skip
        for key in sorted(set(body) - meta - need - allowed):
            self.add(address, (key,), _unknown("argument", did_you_mean(key, need | allowed)))
        for key in sorted(need - set(body)):
            self.add(address, (key,), "required, missing")

    def _lifecycle(self, address: str, kind: str, lifecycle: Any) -> None:
        if lifecycle is None:
            return
        allowed = RESOURCE_LIFECYCLE if kind == "resource" else DATA_LIFECYCLE
        for block in _as_list(lifecycle):
            if not isinstance(block, dict):
                self.add(address, ("lifecycle",), "must be an object")
                continue
            for key in sorted(set(block) - allowed):
                hint = did_you_mean(key, allowed)
                self.add(address, ("lifecycle", key), _unknown("lifecycle argument", hint))

    def _schema_for(self, address: str, local: str) -> ProviderSchema | None:
        """The schema of provider `local` if it is this document's cloud's; else a problem."""
        source = self.sources.get(local, f"hashicorp/{local}")
        cloud = cloud_of_source(source)
        if cloud is None:
            self.add(address, (), f"no committed schema for provider {source}")
            return None
        if cloud != self.cloud:
            what = f"a resource of the {cloud} provider in a document for {self.cloud}"
            self.add(address, (), what)
            return None
        return load(cloud)


class _Block:
    """Checks one configured block (a resource, a nested block) against its schema block."""

    def __init__(self, document: _Document, address: str, meta: frozenset[str]) -> None:
        self.document = document
        self.address = address
        self.meta = meta

    def problem(self, path: tuple[str, ...], message: str) -> None:
        self.document.add(self.address, path, message)

    def check(
        self, body: Mapping[str, Any], block: Mapping[str, Any], path: tuple[str, ...] = ()
    ) -> None:
        attributes = block.get("attributes", {})
        nested = block.get("block_types", {})
        meta = self.meta if not path else frozenset()
        for key, value in body.items():
            if key in meta:
                continue
            spec = attributes.get(key)
            if spec is not None:
                self._attribute((*path, key), value, spec)
            elif key in nested:
                self._nested((*path, key), value, nested[key])
            else:
                hint = did_you_mean(key, [*attributes, *nested])
                self.problem((*path, key), _unknown("attribute or block", hint))
        attributes_needed, blocks_needed = _required(block)
        for key in attributes_needed:
            if key not in body:
                self.problem((*path, key), "required, missing")
        for key in blocks_needed:
            if key not in body:
                self.problem((*path, key), "required block, missing")

    def _attribute(self, path: tuple[str, ...], value: Any, spec: Mapping[str, Any]) -> None:
        if spec.get("computed") and not spec.get("optional") and not spec.get("required"):
            self.problem(path, "computed by the provider, cannot be set")
        if spec.get("deprecated"):
            self.problem(path, "deprecated in the provider")
        if "nested_type" in spec:
            self._nested_attribute(path, value, spec["nested_type"])
        else:
            for where, message in type_problems(path, value, spec["type"]):
                self.problem(where, message)

    def _nested(self, path: tuple[str, ...], value: Any, spec: Mapping[str, Any]) -> None:
        if _is_expression(value):
            return  # a whole list of blocks from an expression: Terraform checks it
        mode = spec["nesting_mode"]
        if mode == "map":
            self._block_map(path, value, spec["block"])
            return
        items = [value] if isinstance(value, dict) else value
        if not isinstance(items, list):
            self.problem(path, "a block is written as an object or a list of objects")
            return
        low, high = spec.get("min_items", 0), spec.get("max_items")
        if mode == "single":
            low, high = 0, 1
        if len(items) < low or (high is not None and len(items) > high):
            self.problem(path, f"{len(items)} blocks, allowed {low}..{high or 'any'}")
        for index, item in enumerate(items):
            here = path if isinstance(value, dict) else (*path[:-1], f"{path[-1]}[{index}]")
            if isinstance(item, dict):
                self.check(item, spec["block"], here)
            else:
                self.problem(here, "a block must be an object")

    def _block_map(self, path: tuple[str, ...], value: Any, block: Mapping[str, Any]) -> None:
        if not isinstance(value, dict):
            self.problem(path, "a map of blocks is written as an object of objects")
            return
        for key, item in sorted(value.items()):
            if isinstance(item, dict):
                self.check(item, block, (*path, key))
            else:
                self.problem((*path, key), "a block must be an object")

    def _nested_attribute(
        self, path: tuple[str, ...], value: Any, nested: Mapping[str, Any]
    ) -> None:
        """A framework provider's nested attribute: an object (or collection of them)."""
        if value is None or _is_expression(value):
            return
        block = nested  # its "attributes" are the object's; it has no "block_types"
        mode = nested.get("nesting_mode", "single")
        if mode == "single":
            if isinstance(value, dict):
                self.check(value, block, path)
            else:
                self.problem(path, f"expected an object, got {_shown(value)}")
        elif mode == "map":
            self._block_map(path, value, block)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                here = (*path[:-1], f"{path[-1]}[{index}]")
                if isinstance(item, dict):
                    self.check(item, block, here)
                elif not _is_expression(item):
                    self.problem(here, f"expected an object, got {_shown(item)}")
        else:
            self.problem(path, f"expected a {mode}, got {_shown(value)}")


# id(schema block) -> its required attributes and blocks. Schema blocks are loaded once and
# kept for the process, so their ids stay theirs; most blocks have none or a few of a hundred
# attributes, and walking all of them for every resource was most of the validation time.
_REQUIRED: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _required(block: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    found = _REQUIRED.get(id(block))
    if found is None:
        attributes = block.get("attributes", {})
        nested = block.get("block_types", {})
        found = _REQUIRED[id(block)] = (
            tuple(k for k, spec in attributes.items() if spec.get("required")),
            tuple(k for k, spec in nested.items() if spec.get("min_items", 0) > 0),
        )
    return found


def type_problems(path: tuple[str, ...], value: Any, type_: Any) -> Iterator[tuple[Any, str]]:
    """(path, message) of each literal that is not of the Terraform type `type_`:
    "string", ["list", T], ["set", T], ["map", T], ["object", {...}(, [optional])]..."""
    if value is None or type_ == "dynamic" or _is_expression(value):
        return
    if isinstance(type_, str):
        wanted = _PRIMITIVE.get(type_)
        if wanted is None:
            yield path, f"unknown schema type {type_!r}"
        elif not isinstance(value, wanted) or (type_ == "number" and isinstance(value, bool)):
            yield path, f"expected a {type_}, got {_shown(value)}"
        return
    kind, inner = type_[0], type_[1]
    if kind in ("list", "set"):
        if not isinstance(value, list):
            yield path, f"expected a {kind}, got {_shown(value)}"
            return
        for index, item in enumerate(value):
            yield from type_problems((*path[:-1], f"{path[-1]}[{index}]"), item, inner)
    elif kind == "map":
        if not isinstance(value, dict):
            yield path, f"expected a map, got {_shown(value)}"
            return
        for key, item in sorted(value.items()):
            yield from type_problems((*path, key), item, inner)
    elif kind == "object":
        yield from _object_problems(path, value, inner)
    elif kind == "tuple":
        if not isinstance(value, list) or len(value) != len(inner):
            yield path, f"expected a tuple of {len(inner)}, got {_shown(value)}"
            return
        for index, (item, item_type) in enumerate(zip(value, inner, strict=True)):
            yield from type_problems((*path[:-1], f"{path[-1]}[{index}]"), item, item_type)
    else:
        yield path, f"unknown schema type {type_!r}"


def _object_problems(
    path: tuple[str, ...], value: Any, fields: Mapping[str, Any]
) -> Iterator[tuple[Any, str]]:
    if not isinstance(value, dict):
        yield path, f"expected an object, got {_shown(value)}"
        return
    for key in sorted(set(value) - set(fields)):
        yield (*path, key), _unknown("attribute", did_you_mean(key, fields))
    for key, item in sorted(value.items()):
        if key in fields:
            yield from type_problems((*path, key), item, fields[key])


def _unknown(what: str, hint: str) -> str:
    return f"unknown {what}" + (f" ({hint})" if hint else "")


def _schema_name(schema: ProviderSchema) -> str:
    if schema.cloud == "aws":
        return (
            f"the committed schema of {schema.label} (it holds the types the stack builders "
            "use: add a new one with scripts/refresh-provider-schema.py)"
        )
    return f"the schema of {schema.label}"


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _joined(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _provider_configs(providers: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(local name, configuration) of every provider block; cdktn writes a list per name."""
    items = providers if isinstance(providers, list) else [providers]
    for item in items:
        if not isinstance(item, dict):
            continue
        for local, configs in sorted(item.items()):
            for config in _as_list(configs):
                if isinstance(config, dict):
                    yield local, config


def _instances(section: Any) -> Iterator[tuple[str, str, Any]]:
    """(type, label, body) of every resource or data block of a section."""
    if not isinstance(section, dict):
        return
    for type_, items in sorted(section.items()):
        if isinstance(items, dict):
            for label, body in sorted(items.items()):
                yield type_, label, body
