"""What every module builder shares: the module, its inputs and outputs, names, ARNs, IAM
policy documents, and the last step that applies the aspects and renders the JSON."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from compiler.emit.artifact import canonical_json
from compiler.emit.stacks import naming
from compiler.emit.stacks.cdk import (
    Aspects,
    DataSource,
    Resource,
    new_module,
    output,
    synthesize,
    variable,
)
from compiler.emit.stacks.inputs import PlatformFacts
from compiler.emit.stacks.rules import AWS_RULES, CloudRules
from compiler.emit.stacks.values import declarations, symbolic
from compiler.resolve.shapes import Shape

MANAGED_BY = "paybill"
# Every data source the AWS builders read; checked against the provider like the resources.
DATA_SOURCE_TYPES = AWS_RULES.data_source_types


@dataclass(frozen=True)
class Statement:
    """One statement of an IAM policy, rendered through `aws_iam_policy_document` so that a
    reviewer reads actions, resources and conditions as structured JSON in the diff."""

    sid: str
    actions: Sequence[str]
    resources: Sequence[str] = ()  # none in trust policies, which name principals instead
    principals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    conditions: Sequence[tuple[str, str, Sequence[str]]] = ()  # (test, variable, values)
    effect: Literal["Allow", "Deny"] = "Allow"

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sid": self.sid,
            "effect": self.effect,
            "actions": sorted(self.actions),
        }
        if self.resources:
            out["resources"] = list(self.resources)
        if self.principals:
            out["principals"] = [
                {"type": kind, "identifiers": list(ids)}
                for kind, ids in sorted(self.principals.items())
            ]
        if self.conditions:
            out["condition"] = [
                {"test": test, "variable": variable, "values": list(values)}
                for test, variable, values in self.conditions
            ]
        return out


@dataclass(frozen=True)
class ModuleInterface:
    """What a module takes beyond its values, and what it gives: the root stack that calls
    it is built from this (`compiler.emit.stacks.root`)."""

    settings: tuple[tuple[str, str], ...]  # (input, description): the root's own variables
    pool_outputs: tuple[tuple[str, str], ...]  # (input, output of the pool stack it is)
    outputs: tuple[tuple[str, str], ...]  # (output, description)
    resources: tuple[str, ...]  # every resource address in the module, sorted


class StackBuilder:
    """One shape's module under construction; `finish()` returns its `cdk.tf.json` bytes
    and its interface.

    The builders see the shape (which decides what exists) and the stack's values only as
    references to the module's inputs (`values`), so whatever they build is the same for
    every stack of the shape. The platform's own facts (its name, its database's name) are
    the same for every stack and are written as they are.
    """

    def __init__(
        self,
        shape: Shape,
        platform: PlatformFacts,
        tags: Mapping[str, str],
        rules: CloudRules = AWS_RULES,
    ) -> None:
        self.shape = shape
        self.rules = rules
        self.confirm_destroy = shape.unprotected
        self.platform = platform
        self.values = symbolic(shape)
        self.name = self.values.identity.stack
        self.region = self.values.identity.region
        self.stack = new_module(shape.name, {rules.provider: (rules.source, rules.version)})
        self._inputs = {
            d.name: variable(self.stack, d.name, d.type, d.description) for d in declarations(shape)
        }
        self.tags = {"managed-by": MANAGED_BY, "platform": platform.name, **tags}
        self.key_arn: str | None = None
        self._data: dict[str, DataSource] = {}
        self._settings: dict[str, str] = {}
        self._pool_outputs: dict[str, str] = {}
        self._outputs: dict[str, str] = {}

    # -- inputs and outputs ------------------------------------------------------------
    def token(self, value: str) -> str:
        """`value` for use inside a cdktn function (`jsonencode`): a reference to one of the
        module's inputs becomes cdktn's token for it (a plain `${var.x}` there would be
        escaped as text); anything else is returned as it is."""
        name = value.removeprefix("${var.").removesuffix("}")
        found = self._inputs.get(name) if value == f"${{var.{name}}}" else None
        return str(found.string_value) if found is not None else value

    def setting(self, name: str, description: str) -> str:
        """An input the root stack takes from whoever applies (`TF_VAR_<name>`) and passes
        on, e.g. the application's image."""
        if name not in self._inputs:
            self._inputs[name] = variable(self.stack, name, "string", description)
            self._settings[name] = description
        return f"${{var.{name}}}"

    def pool_output(self, output: str, type: str = "string") -> str:
        """One of the pool stack's outputs, which the root stack reads from the pool's state
        and passes in as `pool_<output>`."""
        name = f"pool_{output}"
        if name not in self._inputs:
            description = f"The pool stack's output {output}"
            self._inputs[name] = variable(self.stack, name, type, description)
            self._pool_outputs[name] = output
        return f"${{var.{name}}}"

    def output(self, name: str, value: Any, description: str) -> None:
        output(self.stack, name, value, description)
        self._outputs[name] = description

    # -- resources ----------------------------------------------------------------------
    def add(
        self,
        id: str,
        type: str,
        attributes: Mapping[str, Any],
        *,
        ignore_changes: Sequence[str] = (),
        depends_on: Sequence[Resource] = (),
        create_before_destroy: bool = False,
    ) -> Resource:
        if type not in self.rules.resource_types:
            raise ValueError(f"resource type {type} is not one the {self.rules.cloud} driver emits")
        return Resource(
            self.stack,
            id,
            type,
            attributes,
            ignore_changes=ignore_changes,
            depends_on=depends_on,
            create_before_destroy=create_before_destroy,
        )

    def data(self, id: str, type: str, attributes: Mapping[str, Any] | None = None) -> DataSource:
        """A data source, declared once per stack however often it is asked for."""
        if type not in self.rules.data_source_types:
            raise ValueError(f"data source {type} is not one the {self.rules.cloud} driver reads")
        wanted = dict(attributes or {})
        known = self._data.get(id)
        if known is None:
            known = self._data[id] = DataSource(self.stack, id, type, wanted)
        elif (known.type, known.attributes) != (type, wanted):
            raise ValueError(f"data source '{id}' is declared twice, differently")
        return known

    def policy(self, id: str, statements: Sequence[Statement]) -> str:
        """The JSON of an IAM policy document made of `statements`."""
        document = self.data(
            id,
            "aws_iam_policy_document",
            {"version": "2012-10-17", "statement": [s.render() for s in statements]},
        )
        return document.ref("json")

    # -- names and ARNs ------------------------------------------------------------------
    def aws_name(self, suffix: str = "") -> str:
        """`<platform>-<stack>[-<suffix>]`, for a name whose limit (`naming.GENERAL_MAX`) no
        stack name can reach: written from the stack's name input. Names with a lower limit
        are cut per stack and are values (`compiler.emit.stacks.values`)."""
        longest = len(naming.joined(self.platform.name, naming.LONGEST_STACK, suffix))
        if longest > naming.GENERAL_MAX:
            raise ValueError(f"the name of suffix {suffix!r} may be cut: make it a value")
        return naming.joined(self.platform.name, self.name, suffix)

    @property
    def partition(self) -> str:
        return self.data("partition", "aws_partition").ref("partition")

    @property
    def dns_suffix(self) -> str:
        return self.data("partition", "aws_partition").ref("dns_suffix")

    @property
    def reverse_dns_prefix(self) -> str:
        """`com.amazonaws` (or the partition's own), the start of VPC endpoint names."""
        return self.data("partition", "aws_partition").ref("reverse_dns_prefix")

    @property
    def account_id(self) -> str:
        return self.data("account", "aws_caller_identity").ref("account_id")

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    def service_principal(self, service: str) -> str:
        return f"{service}.{self.dns_suffix}"

    # -- the end ------------------------------------------------------------------------
    def finish(self) -> tuple[bytes, ModuleInterface]:
        aspects = Aspects.of(self.stack)
        for aspect in self.rules.aspects(self):
            aspects.add(aspect)
        document = synthesize(self.stack)
        text = orjson.dumps(document).decode()
        unused = sorted(n for n in self._inputs if not re.search(rf"var\.{n}(?![a-z0-9_])", text))
        if unused:
            raise ValueError(f"module {self.shape.name} declares inputs it never uses: {unused}")
        resources = sorted(
            f"{kind}.{name}"
            for kind, items in document.get("resource", {}).items()
            for name in items
        )
        interface = ModuleInterface(
            settings=tuple(sorted(self._settings.items())),
            pool_outputs=tuple(sorted(self._pool_outputs.items())),
            outputs=tuple(sorted(self._outputs.items())),
            resources=tuple(resources),
        )
        return canonical_json(document), interface
